/** A listener; a throwing listener never disturbs the client or the other listeners. */
export type Listener = (arg?: unknown) => void;

/** Minimal event emitter: a closure over a map of sets is smaller than EventTarget glue. */
export const emitter = () => {
  const all: Record<string, Set<Listener>> = {};
  return {
    on(event: string, fn: Listener): () => void {
      (all[event] ||= new Set()).add(fn);
      return () => void all[event]!.delete(fn);
    },
    emit(event: string, arg?: unknown): void {
      all[event]?.forEach((fn) => {
        try {
          fn(arg);
        } catch {
          // A listener's bug must not stop the stream that keeps a block in force.
        }
      });
    },
  };
};
