import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor, toPage } from "../../src/core/paging.js";
import { ProblemError } from "../../src/core/problem.js";

describe("cursors", () => {
  it("round-trip a position, including non-ASCII keys", () => {
    expect(decodeCursor(encodeCursor([12, "ключ"]), ["number", "string"] as const)).toEqual([12, "ключ"]);
  });

  it.each(["garbage", encodeCursor(["x"]), encodeCursor([1, 2]), ""])("answer 400 to %j where another shape is expected", (cursor) => {
    expect(() => decodeCursor(cursor, ["number", "string"] as const)).toThrow(ProblemError);
  });

  it("splits limit + 1 rows into a page with a next cursor", () => {
    const page = toPage([1, 2, 3], 2, (n) => n * 10, (n) => [n]);
    expect(page.items).toEqual([10, 20]);
    expect(decodeCursor(page.nextCursor!, ["number"] as const)).toEqual([2]);
    expect(toPage([1, 2], 2, (n) => n, (n) => [n])).toEqual({ items: [1, 2] });
  });
});
