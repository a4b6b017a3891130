import { describe, expect, it } from "vitest";
import { parseInstant } from "../../src/evaluator/instant.js";

describe("parseInstant", () => {
  it.each([
    ["2026-06-01T00:00:00Z", "2026-06-01T00:00:00.000Z"],
    ["2026-06-01T12:34:56.789Z", "2026-06-01T12:34:56.789Z"],
    ["2026-06-01T12:34:56.7899999Z", "2026-06-01T12:34:56.789Z"],
    ["2026-06-01T12:34:56.5Z", "2026-06-01T12:34:56.500Z"],
    ["2026-06-01T02:00:00+02:00", "2026-06-01T00:00:00.000Z"],
    ["2026-05-31T19:00:00-05:00", "2026-06-01T00:00:00.000Z"],
    ["2026-06-01T00:00Z", "2026-06-01T00:00:00.000Z"],
    ["2026-06-01 00:00:00Z", "2026-06-01T00:00:00.000Z"],
    ["2026-06-01t00:00:00z", "2026-06-01T00:00:00.000Z"],
    ["2026-06-01", "2026-06-01T00:00:00.000Z"],
    ["2024-02-29", "2024-02-29T00:00:00.000Z"],
    ["2026-06-01T23:59:00+23:59", "2026-06-01T00:00:00.000Z"],
    ["2026-06-01T00:00:00-00:59", "2026-06-01T00:59:00.000Z"],
  ])("reads %s as %s", (input, iso) => {
    expect(parseInstant(input)).toBe(Date.parse(iso));
  });

  it("reads years before 100 literally, with the Gregorian leap days", () => {
    expect(new Date(parseInstant("0050-03-01T00:00:00Z")).getUTCFullYear()).toBe(50);
    expect(new Date(parseInstant("0000-02-29T12:00:00Z")).toISOString()).toBe("0000-02-29T12:00:00.000Z");
    expect(parseInstant("0100-02-29")).toBeNaN();
    expect(parseInstant("9999-12-31T23:59:59.999Z")).toBe(Date.parse("9999-12-31T23:59:59.999Z"));
  });

  it("reads strings up to 63 characters and refuses longer ones", () => {
    const at = (length: number) => `2026-06-01T12:34:56.${"7".repeat(length - 21)}Z`;
    expect(at(63)).toHaveLength(63);
    expect(parseInstant(at(63))).toBe(Date.parse("2026-06-01T12:34:56.777Z"));
    expect(parseInstant(at(64))).toBeNaN();
  });

  it.each([
    "2026-06-01T00:00:00",
    "2026-02-29",
    "2026-02-30T00:00:00Z",
    "2026-13-01",
    "2026-00-10",
    "2026-06-31",
    "2026-06-01T24:00:00Z",
    "2026-06-01T00:60:00Z",
    "2026-06-01T00:00:60Z",
    "2026-06-01T00:00:00+24:00",
    "2026-06-01T00:00:00+00:60",
    "2026-06-01T00:00:00+0200",
    "20260601",
    "June 1, 2026",
    "1780272000000",
    "",
    `2026-06-01T00:00:00.${"1".repeat(80)}Z`,
  ])("refuses %j", (input) => {
    expect(parseInstant(input)).toBeNaN();
  });
});
