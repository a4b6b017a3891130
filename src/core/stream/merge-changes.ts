import type { PatchMessage } from "@killswitch/sdk";
import type { CommittedChange } from "../broadcaster.js";

/**
 * Fold consecutive changes (oldest first) into the one patch that takes a client
 * from the first change's `prev` to the last change's `version`. Returns null when
 * the list is empty or has a gap, so the caller falls back to a snapshot.
 */
export function mergeChanges(changes: readonly CommittedChange[]): PatchMessage | null {
  const first = changes[0];
  if (!first) return null;
  // Keyed by stored keys: no prototype, so no name is special.
  const flags: PatchMessage["flags"] = Object.create(null);
  const segments: PatchMessage["segments"] = Object.create(null);
  const removedFlags = new Set<string>();
  const removedSegments = new Set<string>();
  let version = first.prev;
  for (const c of changes) {
    if (c.prev !== version) return null;
    version = c.version;
    // A later change wins: an upsert cancels an earlier removal and vice versa.
    for (const [key, flag] of Object.entries(c.flags)) {
      flags[key] = flag;
      removedFlags.delete(key);
    }
    for (const [key, segment] of Object.entries(c.segments)) {
      segments[key] = segment;
      removedSegments.delete(key);
    }
    for (const key of c.removed.flags) {
      delete flags[key];
      removedFlags.add(key);
    }
    for (const key of c.removed.segments) {
      delete segments[key];
      removedSegments.add(key);
    }
  }
  const patch: PatchMessage = {
    t: "patch",
    v: version,
    prev: first.prev,
    flags,
    segments,
    removed: { flags: [...removedFlags], segments: [...removedSegments] },
  };
  const audit = changes[changes.length - 1]!.audit;
  if (audit) patch.audit = audit; // the entry of the change that made the last version
  return patch;
}

/** The patch of one change, as every socket of its environment receives it. */
export function patchOf(change: CommittedChange): PatchMessage {
  const patch: PatchMessage = {
    t: "patch",
    v: change.version,
    prev: change.prev,
    flags: change.flags,
    segments: change.segments,
    removed: change.removed,
  };
  if (change.audit) patch.audit = change.audit;
  return patch;
}
