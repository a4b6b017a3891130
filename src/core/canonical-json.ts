/**
 * Canonical JSON: object keys sorted, no whitespace. The audit chain hashes this
 * form, so an entry read back from the database hashes to the same value.
 *
 * Every own key counts, whatever its name: the sorted copy has no prototype, so
 * a `__proto__` key read from stored JSON is an ordinary property there (on a
 * plain object, assigning it would set the prototype and drop it from the text).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const sorted: Record<string, unknown> = Object.create(null);
    for (const key of Object.keys(value).sort()) {
      const entry = (value as Record<string, unknown>)[key];
      if (entry !== undefined) sorted[key] = sortKeys(entry);
    }
    return sorted;
  }
  return value;
}
