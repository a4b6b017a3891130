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

  const b64 = (text: string) => btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

  it.each([
    ["[1e999] (Infinity)", "WzFlOTk5XQ"],
    ["a negative number", b64("[-1]")],
    ["a fraction", b64("[1.5]")],
    ["an unsafe integer", b64("[9007199254740993]")],
    ["JSON the service does not write", b64("[ 1]")],
    ["padding", `${encodeCursor([1])}==`],
    ["standard base64 characters", "W1s+Pz8/XV0"],
    ["invalid UTF-8", b64("[\"\xff\"]")],
  ])("answer 400 to a cursor the service did not issue: %s", (_name, cursor) => {
    expect(() => decodeCursor(cursor, ["number"] as const)).toThrow(ProblemError);
    expect(() => decodeCursor(cursor, ["string"] as const)).toThrow(ProblemError);
  });

  it("answer 400 to a string position holding U+0000", () => {
    expect(() => decodeCursor(encodeCursor(["a\u0000"]), ["string"] as const)).toThrow(ProblemError);
  });

  it("splits limit + 1 rows into a page with a next cursor", () => {
    const page = toPage([1, 2, 3], 2, (n) => n * 10, (n) => [n]);
    expect(page.items).toEqual([10, 20]);
    expect(decodeCursor(page.nextCursor!, ["number"] as const)).toEqual([2]);
    expect(toPage([1, 2], 2, (n) => n, (n) => [n])).toEqual({ items: [1, 2] });
  });
});
