/**
 * The frames a hub builds, one call each, the same text for every socket: what
 * `FrameSigner` (src/core/signing/frame-signer.ts) signs on both hosts. The unsigned
 * builders serve hubs without a signer (their own tests).
 */
import type { CommittedChange, StreamSource } from "../broadcaster.js";
import { mergeChanges, patchOf } from "./merge-changes.js";
import { snapshotText, type SnapshotText } from "./snapshot-text.js";

/** The patch that takes a client to `version`. */
export interface PatchText {
  version: number;
  text: string;
}

export type SourceSnapshot = Awaited<ReturnType<StreamSource["snapshot"]>>;

export interface StreamFrames {
  /** The patch of one committed change; resolves in publish order per environment, and never rejects. */
  patch(change: CommittedChange): Promise<string>;
  /** The changes after `since` as one patch, or null when they do not make one. */
  resume(tenantId: string, env: string, since: number, changes: readonly CommittedChange[] | null): Promise<PatchText | null>;
  /** A snapshot, without the `serverTime` each send adds (`snapshotFrame`). */
  snapshot(tenantId: string, env: string, snapshot: SourceSnapshot): Promise<SnapshotText>;
  /** During a signing key's overlap, the announcement of the new key (sent like a snapshot); else null. */
  announcement(tenantId: string, env: string): Promise<SnapshotText | null>;
}

export const unsignedFrames: StreamFrames = {
  patch: async (change) => JSON.stringify(patchOf(change)),
  async resume(_tenantId, _env, since, changes) {
    const patch = changes && mergeChanges(changes);
    return patch && patch.prev === since ? { version: patch.v, text: JSON.stringify(patch) } : null;
  },
  snapshot: async (_tenantId, env, snapshot) => snapshotText(env, snapshot),
  announcement: async () => null,
};
