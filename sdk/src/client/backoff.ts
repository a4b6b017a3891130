/** Reconnect delays stop growing here: an outage longer than this is retried every ≤ 30 s. */
export const MAX_DELAY_MS = 30_000;

/**
 * Delay before the n-th reconnect attempt (n = 1, 2, …): uniform in
 * [0, min(30 s, base · 2ⁿ)) — exponential backoff with full jitter.
 *
 * Counting from 1 makes the first delay after a drop span 2 · base (6 s with
 * the 3 s default), which is what spreads 1,000 clients dropped at once to
 * fewer than 5 % in any 100 ms window (a 3 s span puts ~33 in an average
 * window and regularly over 50 in the busiest one).
 * See https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export const backoff = (n: number, base: number, random = Math.random): number =>
  random() * Math.min(MAX_DELAY_MS, base * 2 ** n);
