// The hub's send loop, timed where it runs: the hub writes a change to every socket in
// `deliver`, which it queues with setImmediate once the change is framed (and signed, on
// the real host: a later turn of the loop). A setImmediate the bench queued at publish
// would run before it, and one queued a turn later after the next poll phase's acks, so
// the bench wraps setImmediate instead: nothing in src/ changes, and nothing runs per socket.
import { performance } from "node:perf_hooks";

/** Calls `ended(version, at)` (performance.timeOrigin-based ms) when the hub's loop for `version` is done. */
export function watchSendLoops(ended: (version: number, at: number) => void): void {
  const queue = globalThis.setImmediate;
  const watched = (callback: (...args: unknown[]) => void, ...args: unknown[]) => {
    if (callback.name !== "deliver") return queue(callback, ...args);
    // deliver(group, version, frame)
    return queue((...a: unknown[]) => {
      callback(...a);
      ended(a[1] as number, performance.timeOrigin + performance.now());
    }, ...args);
  };
  globalThis.setImmediate = watched as typeof setImmediate;
}
