/** A command-line option that must be a positive integer; a clear error otherwise. */
export function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} takes a positive integer, got "${value}"`);
  return n;
}
