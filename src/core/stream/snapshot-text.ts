import type { SnapshotMessage } from "@killswitch/sdk";
import type { StreamSource } from "../broadcaster.js";

/**
 * A snapshot message serialized (and signed) once, without its `serverTime`, which
 * each send puts first: both hubs keep one per environment and version, so that many
 * sockets (hellos, allowed resyncs) cost one read, one serialization and one
 * signature. The key announcement of a rotation (src/core/signing/frame-signer.ts) is
 * sent the same way.
 */
export interface SnapshotText {
  version: number;
  /** The environment's epoch at `version`: a hello's `since` of another epoch gets a snapshot. */
  epoch?: string;
  /** The message after its opening brace: `"sig":{…},"t":"snapshot",…}` when signed. */
  tail: string;
}

/** An unsigned snapshot text, for hubs and tests without a signer. */
export function snapshotText(env: string, state: Awaited<ReturnType<StreamSource["snapshot"]>>): SnapshotText {
  const message: Omit<SnapshotMessage, "serverTime"> = { t: "snapshot", v: state.version, env, flags: state.flags, segments: state.segments };
  if (state.audit) message.audit = state.audit;
  if (state.epoch !== undefined) message.epoch = state.epoch;
  return { version: state.version, epoch: state.epoch, tail: JSON.stringify(message).slice(1) };
}

/** The frame of one send: `serverTime` first, outside what is signed. */
export function snapshotFrame(text: SnapshotText, serverTime: number): string {
  return `{"serverTime":${serverTime},${text.tail}`;
}
