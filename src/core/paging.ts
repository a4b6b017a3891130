/**
 * Opaque list cursors: base64url of the JSON position after the last item served.
 */
import { stringFault } from "./json-input.js";
import { invalidField } from "./problem.js";

export function encodeCursor(position: readonly (string | number)[]): string {
  const bytes = new TextEncoder().encode(JSON.stringify(position));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const CURSOR = /^[A-Za-z0-9_-]{1,512}$/;

/** A position value this service writes: a non-negative safe integer (seq, time) or a short storable string (a key). */
function isPositionValue(value: unknown, type: "string" | "number"): boolean {
  if (type === "number") return Number.isSafeInteger(value) && (value as number) >= 0;
  return typeof value === "string" && value.length <= 256 && stringFault(value) === null;
}

/**
 * The position in a cursor, checked against the types the list expects. Only a
 * cursor this service could have issued is read: base64url without padding of
 * exactly the JSON `encodeCursor` writes for a position of those types, so
 * `[1e999]`, `[-1]`, extra whitespace or a padded variant are a 400, never a
 * query with a value no row can have.
 */
export function decodeCursor<T extends readonly ("string" | "number")[]>(
  cursor: string,
  types: T,
): { [K in keyof T]: T[K] extends "number" ? number : string } {
  try {
    if (CURSOR.test(cursor)) {
      const binary = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
      const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
      const position: unknown = JSON.parse(text);
      if (
        Array.isArray(position) &&
        position.length === types.length &&
        position.every((value, i) => isPositionValue(value, types[i]!)) &&
        encodeCursor(position as (string | number)[]) === cursor
      ) {
        return position as { [K in keyof T]: T[K] extends "number" ? number : string };
      }
    }
  } catch {
    // fall through to the 400 below
  }
  throw invalidField("cursor", "not a cursor of this list: pass nextCursor from the previous page", "invalid_cursor");
}

/** Splits `limit + 1` rows into a page and its next cursor. */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  item: (row: Row) => Item,
  position: (row: Row) => (string | number)[],
): { items: Item[]; nextCursor?: string } {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  const page: { items: Item[]; nextCursor?: string } = { items: pageRows.map(item) };
  const last = pageRows[pageRows.length - 1];
  if (more && last !== undefined) page.nextCursor = encodeCursor(position(last));
  return page;
}
