/**
 * Rollout bucketing: MurmurHash3 x86_32 (seed 0) over the UTF-8 bytes of
 * `${flagKey}.${salt}.${value}`, unsigned, modulo 100,000.
 *
 * MurmurHash3 is what Unleash buckets with, so every language has a vetted
 * implementation to check against. The hash is streamed: a rollout hashes its
 * constant prefix `${flagKey}.${salt}.` once at compile time and evaluation
 * only feeds the context value, so bucketing builds no string and allocates
 * nothing. The state lives in module variables because JavaScript runs one
 * evaluation at a time on a thread and a state object would be an allocation.
 */

/** Number of rollout buckets; weights sum to this. */
export const BUCKETS = 100_000;

/** Murmur state after a prefix: [h, pending bytes, pending bit count, length]. */
export type HashState = readonly [number, number, number, number];

let h = 0; // running hash
let k = 0; // pending little-endian bytes of the current 4-byte block
let n = 0; // bits pending in k: 0, 8, 16 or 24
let len = 0; // bytes fed so far

function mix(x: number): number {
  x = Math.imul(x, 0xcc9e2d51);
  return Math.imul((x << 15) | (x >>> 17), 0x1b873593);
}

function push(b: number): void {
  k |= b << n;
  len++;
  if ((n += 8) === 32) {
    h ^= mix(k);
    h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
    k = n = 0;
  }
}

/** Feeds the UTF-8 encoding of `s`; a lone surrogate is encoded as U+FFFD, like TextEncoder. */
function feed(s: string): void {
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      push(c);
      continue;
    }
    if (c < 0x800) {
      push(0xc0 | (c >> 6));
    } else {
      if (c >= 0xd800 && c < 0xe000) {
        const d = s.charCodeAt(i + 1);
        if (c < 0xdc00 && d >= 0xdc00 && d < 0xe000) {
          i++;
          c = 0x10000 + ((c - 0xd800) << 10) + d - 0xdc00;
          push(0xf0 | (c >> 18));
          push(0x80 | ((c >> 12) & 63));
        } else {
          c = 0xfffd;
          push(0xe0 | (c >> 12));
        }
      } else {
        push(0xe0 | (c >> 12));
      }
      push(0x80 | ((c >> 6) & 63));
    }
    push(0x80 | (c & 63));
  }
}

function finish(): number {
  let x = h;
  if (n) x ^= mix(k);
  x ^= len;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** The hash state after `${flagKey}.${salt}.`, computed once per rollout. */
export function prefixState(flagKey: string, salt: string): HashState {
  h = k = n = len = 0;
  feed(`${flagKey}.${salt}.`);
  return [h, k, n, len];
}

/** Bucket of `value` continuing from a prefix state: no allocation. */
export function bucketFrom(state: HashState, value: string): number {
  h = state[0];
  k = state[1];
  n = state[2];
  len = state[3];
  feed(value);
  return finish() % BUCKETS;
}

/** MurmurHash3 x86_32 with seed 0 of the UTF-8 bytes of `s`, as an unsigned integer. */
export function murmur3(s: string): number {
  h = k = n = len = 0;
  feed(s);
  return finish();
}

/**
 * Bucket 0..99_999 of a value for a flag and salt: `murmur3(`${flagKey}.${salt}.${value}`) % 100000`.
 * One implementation for every caller (SDK, server, benchmark).
 *
 * @example
 * bucketOf("model.fable-5", "r3", "user-42") // always the same number in 0..99999
 */
export function bucketOf(flagKey: string, salt: string, value: string): number {
  return bucketFrom(prefixState(flagKey, salt), value);
}
