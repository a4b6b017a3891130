/**
 * Whether a parsed JSON value nests deeper than `max` arrays/objects. Checked
 * before validation: recursive validators (and the audit's canonical JSON) would
 * overflow the stack on a 256 KiB body of `[[[[…`.
 */
export const MAX_JSON_DEPTH = 32;

export function jsonDepthExceeds(value: unknown, max = MAX_JSON_DEPTH): boolean {
  // Iterative, so the check itself cannot overflow.
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== "object") continue;
    if (depth >= max) return true;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}
