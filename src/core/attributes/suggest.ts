/**
 * "Did you mean": the closest declared name within two edits (Levenshtein, from
 * fastest-levenshtein), so that `nationalty` points at `nationality`.
 */
import { distance } from "fastest-levenshtein";

export const MAX_SUGGESTION_DISTANCE = 2;

/** The nearest name within two edits (ties: the first in sorted order), or undefined. */
export function closestName(name: string, names: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = MAX_SUGGESTION_DISTANCE + 1;
  for (const candidate of [...names].sort()) {
    // Lengths further apart than the limit cannot be within it.
    if (Math.abs(candidate.length - name.length) > MAX_SUGGESTION_DISTANCE) continue;
    const d = distance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}
