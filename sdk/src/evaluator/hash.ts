/**
 * Rollout bucketing: MurmurHash3 x86_32 (seed 0) over the UTF-8 bytes of
 * `${flagKey}.${salt}.${value}`, unsigned, modulo 100,000.
 *
 * MurmurHash3 is what Unleash buckets with, so every language has a vetted
 * implementation to check against. The hash is streamed: a rollout keeps its
 * constant prefix `${flagKey}.${salt}.` from compile time, and evaluation feeds
 * the prefix and then the context value, so bucketing builds no string and
 * allocates nothing. (Saving the state after the prefix would skip a dozen bytes
 * of hashing per evaluation, at the price of more code in the bundle; rollouts
 * are rare in kill switches.) The state lives in module variables because
 * JavaScript runs one evaluation at a time on a thread and a state object would
 * be an allocation.
 */

/** Number of rollout buckets; weights sum to this. */
export const BUCKETS = 100_000;

let h = 0; // running hash
let k = 0; // pending little-endian bytes of the current 4-byte block
let n = 0; // bits pending in k: 0, 8, 16 or 24
let len = 0; // bytes fed so far

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));

const mix = (x: number): number => Math.imul(rotl(Math.imul(x, 0xcc9e2d51), 15), 0x1b873593);

function push(b: number): void {
  k |= b << n;
  len++;
  if ((n += 8) === 32) {
    h = (Math.imul(rotl(h ^ mix(k), 13), 5) + 0xe6546b64) | 0;
    k = n = 0;
  }
}

/** Feeds the UTF-8 encoding of `s`; a lone surrogate is encoded as U+FFFD, like TextEncoder. */
function feed(s: string): void {
  for (let i = 0; i < s.length; i++) {
    let c = s.codePointAt(i)!;
    // A pair is one code point over two code units; a lone surrogate is U+D800-U+DFFF.
    if (c > 0xffff) i++;
    else if ((c & 0xf800) === 0xd800) c = 0xfffd;
    // Continuation bytes (0-3), then the lead byte 0xxxxxxx, 110xxxxx, 1110xxxx or 11110xxx.
    let m = c < 0x80 ? 0 : c < 0x800 ? 1 : c < 0x10000 ? 2 : 3;
    push(m ? (256 - (128 >> m)) | (c >> (6 * m)) : c);
    while (m--) push(0x80 | ((c >> (6 * m)) & 63));
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

/** `${flagKey}.${salt}.`: what a rollout hashes before the context value. */
export const prefixOf = (flagKey: string, salt: string): string => `${flagKey}.${salt}.`;

/** Bucket 0..99_999 of `value` after a rollout's prefix: hashes both in turn, builds no string. */
export function bucketFrom(prefix: string, value: string): number {
  h = k = n = len = 0;
  feed(prefix);
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
  return bucketFrom(prefixOf(flagKey, salt), value);
}
