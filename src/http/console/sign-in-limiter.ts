/**
 * Failed console sign-ins, counted per client address in fixed windows: after
 * `maxFailures` in a window, that address is refused until the window ends.
 * A key is 32 random bytes, so this does not protect the secret (nobody
 * guesses it); it keeps a script from turning the sign-in form into a flood of
 * hashing and database reads, and slows the trial of leaked keys.
 *
 * In memory, per process (Node) or per object and isolate (Workers): with N
 * processes an address gets N times the allowance, which keeps the point.
 */
export interface SignInLimits {
  maxFailures: number;
  windowMs: number;
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = { maxFailures: 10, windowMs: 15 * 60 * 1000 };
/** Addresses tracked at most; beyond it, the oldest window is forgotten. */
const MAX_ADDRESSES = 10_000;

export class SignInLimiter {
  readonly #windows = new Map<string, { start: number; failures: number }>();

  constructor(
    private readonly limits: SignInLimits = DEFAULT_SIGN_IN_LIMITS,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Seconds until `address` may try again, or 0 when it may now. */
  retryAfter(address: string): number {
    const window = this.#current(address);
    if (window === undefined || window.failures < this.limits.maxFailures) return 0;
    return Math.max(1, Math.ceil((window.start + this.limits.windowMs - this.clock()) / 1000));
  }

  failed(address: string): void {
    const window = this.#current(address);
    if (window !== undefined) {
      window.failures++;
      return;
    }
    if (this.#windows.size >= MAX_ADDRESSES) this.#windows.delete(this.#windows.keys().next().value!);
    this.#windows.set(address, { start: this.clock(), failures: 1 });
  }

  #current(address: string) {
    const window = this.#windows.get(address);
    if (window !== undefined && this.clock() - window.start >= this.limits.windowMs) {
      this.#windows.delete(address);
      return undefined;
    }
    return window;
  }
}
