/**
 * Runs the core's background work (src/core/background.ts) on a timer: at the
 * time the last round said the next work falls due, at once when the store
 * says something fell due sooner (`wake`), and at least every second, so that
 * work another process on the same database made due is seen within a second
 * (or taken over when its process died). Rounds never overlap. What fell due
 * while the server was down is found by the first round, at start.
 */
import type { Background } from "../../core/background.js";

export interface BackgroundLoopOptions {
  /** The longest pause between rounds. Default 1,000 ms. */
  pollMs?: number;
  onError: (error: unknown) => void;
}

export class BackgroundLoop {
  readonly #background: Background;
  readonly #pollMs: number;
  readonly #onError: (error: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  #running: Promise<void> | null = null;
  #again = false;
  #closed = false;

  constructor(background: Background, options: BackgroundLoopOptions) {
    this.#background = background;
    this.#pollMs = options.pollMs ?? 1_000;
    this.#onError = options.onError;
  }

  /** Runs the first round (what fell due while the server was down), then keeps the timer. */
  async start(): Promise<void> {
    await this.#round();
  }

  /** Something falls due at `at`: a round runs by then. */
  wake(at: number): void {
    if (this.#closed) return;
    this.#arm(at - Date.now());
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#running;
    await this.#background.close();
  }

  #arm(delayMs: number): void {
    const at = Date.now() + Math.max(0, delayMs);
    if (at >= this.#timerAt) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timerAt = Infinity;
      void this.#round();
    }, Math.max(0, delayMs));
    this.#timer.unref();
  }

  #round(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      let next: number | null = null;
      do {
        this.#again = false;
        try {
          next = await this.#background.run();
        } catch (error) {
          this.#onError(error);
        }
      } while (this.#again && !this.#closed);
      this.#running = null;
      if (this.#closed) return;
      const now = Date.now();
      // Work due now (more than one round's worth) runs again at once, after other events.
      this.#arm(next === null ? this.#pollMs : Math.min(Math.max(next - now, next <= now ? 5 : 0), this.#pollMs));
    })();
    return this.#running;
  }
}
