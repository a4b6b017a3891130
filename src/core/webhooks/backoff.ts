/**
 * When a failed delivery is tried again: exponential backoff with jitter.
 * With the default base of 5 s: about 5 s, 15 s, 45 s, 2 min, 7 min, 20 min,
 * 1 h, 3 h, then every 6 h, each scaled by a random factor in [0.75, 1.25)
 * so that a receiver coming back is not hit by every retry at once. After
 * `maxAttempts` the delivery is given up (`failed`), about 11 hours after the
 * event; `redeliver` starts it over.
 */
export interface RetryPolicy {
  /** The first retry's delay. Default 5,000 ms. */
  baseMs: number;
  /** Attempts before giving up. Default 10. */
  maxAttempts: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 5_000, maxAttempts: 10 };

const MAX_DELAY_MS = 6 * 60 * 60 * 1000;

/** The delay after the `attempt`-th failed attempt (1-based). */
export function retryDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const delay = Math.min(MAX_DELAY_MS, policy.baseMs * 3 ** (attempt - 1));
  return Math.round(delay * (0.75 + random() / 2));
}
