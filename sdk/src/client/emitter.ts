/** A listener; a throwing listener never disturbs the client or the other listeners. */
export type Listener = (arg?: unknown) => void;

/**
 * Minimal event emitter: a closure over a map of sets is smaller than EventTarget glue.
 * Answers `[on, emit]` (a pair: no property names in the bundle).
 */
export const emitter = (): [on: (event: string, fn: Listener) => () => void, emit: (event: string, arg?: unknown) => void] => {
  const all: Record<string, Set<Listener>> = {};
  return [
    (event, fn) => {
      (all[event] ||= new Set()).add(fn);
      return () => void all[event]!.delete(fn);
    },
    (event, arg) =>
      all[event]?.forEach((fn) => {
        try {
          fn(arg);
        } catch {
          // A listener's bug must not stop the stream that keeps a block in force.
        }
      }),
  ];
};
