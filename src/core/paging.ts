/**
 * Opaque list cursors: base64url of the JSON position after the last item served.
 */
import { invalidField } from "./problem.js";

export function encodeCursor(position: readonly (string | number)[]): string {
  const bytes = new TextEncoder().encode(JSON.stringify(position));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The position in a cursor, checked against the types the list expects. */
export function decodeCursor<T extends readonly ("string" | "number")[]>(
  cursor: string,
  types: T,
): { [K in keyof T]: T[K] extends "number" ? number : string } {
  try {
    const binary = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    const position: unknown = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
    if (
      Array.isArray(position) &&
      position.length === types.length &&
      position.every((value, i) => typeof value === types[i])
    ) {
      return position as { [K in keyof T]: T[K] extends "number" ? number : string };
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
