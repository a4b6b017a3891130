/**
 * The persisted cache as the client writes it: a header line `{k, at}`, then each
 * frame as received (key announcements, the last snapshot, the patches since), one
 * per line.
 */
export interface CacheText {
  head: { k: string; at: unknown };
  /** Each frame's line, parsed. */
  frames: Record<string, unknown>[];
  /** Each frame's line as written. */
  lines: string[];
}

export const readCache = (text: string): CacheText => {
  const [head, ...lines] = text.split("\n");
  return { head: JSON.parse(head!), frames: lines.map((l) => JSON.parse(l)), lines };
};

/** The same cache with its header's `at` replaced (or removed, for undefined). */
export const withCacheAt = (text: string, at: unknown): string => {
  const [head, ...lines] = text.split("\n");
  return [JSON.stringify({ ...JSON.parse(head!), at }), ...lines].join("\n");
};
