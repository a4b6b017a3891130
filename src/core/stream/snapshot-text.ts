import type { SnapshotMessage } from "@killswitch/sdk";
import type { StreamSource } from "../broadcaster.js";

/**
 * A snapshot message serialized once up to its `serverTime`, which each send
 * appends: both hubs keep one per environment and version, so that many
 * sockets (hellos, allowed resyncs) cost one read and one serialization.
 */
export interface SnapshotText {
  version: number;
  /** `{"t":"snapshot",…,"serverTime":` */
  head: string;
}

export function snapshotText(env: string, state: Awaited<ReturnType<StreamSource["snapshot"]>>): SnapshotText {
  const message: Omit<SnapshotMessage, "serverTime"> = { t: "snapshot", v: state.version, env, flags: state.flags, segments: state.segments };
  if (state.audit) message.audit = state.audit;
  const body = JSON.stringify(message);
  return { version: state.version, head: `${body.slice(0, -1)},"serverTime":` };
}

/** The frame of one send. */
export function snapshotFrame(text: SnapshotText, serverTime: number): string {
  return `${text.head}${serverTime}}`;
}
