import type { StreamSource } from "../../core/broadcaster.js";
import { prepareText, type PreparedFrame } from "./frames.js";
import type { SnapshotText } from "../../core/stream/snapshot-text.js";
import type { StreamFrames } from "../../core/stream/stream-frames.js";
import type { StreamSocket } from "./stream-socket.js";

/** The last few patch frames of an environment, for sockets that finish loading just behind a publish. */
const RECENT_FRAMES = 32;
/** Catch-up patches kept per environment; reconnecting clients of one version mostly share `since`. */
const MAX_RESUMES = 16;


export interface ResumeFrame {
  version: number;
  frame: PreparedFrame;
}

/**
 * All connections of one tenant's environment, and what they share: the newest
 * version, the recent patch frames, and the snapshot and catch-up patches, each
 * loaded and serialized once however many sockets ask for it at the same time
 * (a reconnect storm is one store read, not ten thousand).
 */
export class EnvGroup {
  readonly sockets = new Set<StreamSocket>();
  /** The newest version this node has published or loaded; -1 until one is known. */
  version = -1;
  /** The epoch of the last snapshot loaded: a `since` of another epoch cannot resume. */
  epoch: string | undefined;
  /** Bumped on every publish: a load begun before it must not fill the caches. */
  #generation = 0;
  #snapshot: SnapshotText | null = null;
  #snapshotLoad: Promise<SnapshotText> | null = null;
  /** since → the merged catch-up patch (null: the change log cannot serve it). */
  readonly #resumes = new Map<number, Promise<ResumeFrame | null>>();
  readonly #recent: (ResumeFrame & { prev: number })[] = [];

  constructor(
    readonly key: string,
    readonly tenantId: string,
    readonly env: string,
  ) {}

  /**
   * The environment's signing keys or epoch changed: drop every frame signed before
   * (the recent patches too). A new epoch also forgets the version, which may move back.
   */
  reset(epoch: boolean): void {
    this.#generation++;
    this.#snapshot = null;
    this.#snapshotLoad = null;
    this.#resumes.clear();
    this.#recent.length = 0;
    if (epoch) {
      this.version = -1;
      this.epoch = undefined;
    }
  }

  /** A change was published: remember its frame, drop what it made stale. */
  advance(version: number, prev: number, frame: PreparedFrame): void {
    this.#generation++;
    this.#snapshot = null;
    this.#snapshotLoad = null;
    this.#resumes.clear();
    if (version > this.version) this.version = version;
    const last = this.#recent[this.#recent.length - 1];
    if (!last || version > last.version) {
      this.#recent.push({ version, prev, frame });
      if (this.#recent.length > RECENT_FRAMES) this.#recent.shift();
    }
  }

  /** The published patch that follows `version`, if still held. */
  patchAfter(version: number): ResumeFrame | undefined {
    return this.#recent.find((r) => r.prev === version);
  }

  /** The environment's snapshot, serialized once and shared until the next publish. */
  snapshotOf(source: StreamSource, frames: StreamFrames): Promise<SnapshotText> {
    if (this.#snapshot && this.#snapshot.version >= this.version) return Promise.resolve(this.#snapshot);
    if (this.#snapshotLoad) return this.#snapshotLoad;
    const generation = this.#generation;
    const load = source.snapshot(this.tenantId, this.env).then(async (s) => [s, await frames.snapshot(this.tenantId, this.env, s)] as const).then(
      ([s, text]) => {
        if (this.#generation === generation) {
          if (s.version > this.version) this.version = s.version;
          this.epoch = text.epoch;
          this.#snapshot = text;
          this.#snapshotLoad = null;
        }
        return text;
      },
      (error: unknown) => {
        if (this.#snapshotLoad === load) this.#snapshotLoad = null;
        throw error;
      },
    );
    this.#snapshotLoad = load;
    return load;
  }

  /** The changes after `since` merged into one patch frame, or null when the change log cannot serve them. */
  resumeOf(source: StreamSource, frames: StreamFrames, since: number): Promise<ResumeFrame | null> {
    const known = this.#resumes.get(since);
    if (known) return known;
    if (this.#resumes.size >= MAX_RESUMES) this.#resumes.clear();
    const resume = source
      .changesSince(this.tenantId, this.env, since)
      .then((changes) => frames.resume(this.tenantId, this.env, since, changes))
      .then((patch) => patch && { version: patch.version, frame: prepareText(patch.text) });
    this.#resumes.set(since, resume);
    // A failed read is not cached; the caller reports it.
    resume.catch(() => this.#resumes.get(since) === resume && this.#resumes.delete(since));
    return resume;
  }
}
