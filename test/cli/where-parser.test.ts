import { describe, expect, it } from "vitest";
import { WhereError } from "../../src/cli/where/where-error.js";
import { parseWhere } from "../../src/cli/where/where-parser.js";

/** The error a bad expression throws, for its message and column. */
function failure(expression: string): WhereError {
  try {
    parseWhere(expression);
  } catch (error) {
    if (error instanceof WhereError) return error;
    throw error;
  }
  throw new Error(`"${expression}" parsed`);
}

describe("--where conditions", () => {
  it("reads conditions joined by and, values separated by commas", () => {
    expect(parseWhere("nationality notIn US,CA and employer in acme").conditions).toEqual([
      { attribute: "nationality", op: "notIn", values: ["US", "CA"] },
      { attribute: "employer", op: "in", values: ["acme"] },
    ]);
  });

  it("allows white space around commas and matches operators and and without regard to case", () => {
    expect(parseWhere("  nationality  NOTIN  US , CA  AND region In  FR-75 ").conditions).toEqual([
      { attribute: "nationality", op: "notIn", values: ["US", "CA"] },
      { attribute: "region", op: "in", values: ["FR-75"] },
    ]);
  });

  it("keeps a quoted value whole: commas, spaces, the word and, escaped quotes", () => {
    expect(parseWhere(`employer in "Acme, Inc.",'and' and title contains "say \\"hi\\""`).conditions).toEqual([
      { attribute: "employer", op: "in", values: ["Acme, Inc.", "and"] },
      { attribute: "title", op: "contains", values: ['say "hi"'] },
    ]);
  });

  it("takes exists and missing without values", () => {
    expect(parseWhere("email exists and org.country missing").conditions).toEqual([
      { attribute: "email", op: "exists" },
      { attribute: "org.country", op: "missing" },
    ]);
  });

  it("types values: numbers for lt/gte, bare numbers and booleans for in, strings when quoted", () => {
    expect(parseWhere(`age gte 18 and tier in 1,2.5,"3",true,02139 and build semverGt 1.2.3 and at before 2026-01-31T17:00:00Z`).conditions).toEqual([
      { attribute: "age", op: "gte", values: [18] },
      { attribute: "tier", op: "in", values: [1, 2.5, "3", true, "02139"] },
      { attribute: "build", op: "semverGt", values: ["1.2.3"] },
      { attribute: "at", op: "before", values: ["2026-01-31T17:00:00Z"] },
    ]);
  });

  it("keeps bare numbers as strings for an attribute declared a string", () => {
    const typeOf = (name: string) => (name === "key" ? "string" : undefined);
    expect(parseWhere("key in 123,true and tier in 123", { typeOf }).conditions).toEqual([
      { attribute: "key", op: "in", values: ["123", "true"] },
      { attribute: "tier", op: "in", values: [123] },
    ]);
  });

  it("records where each attribute, operator and value sits", () => {
    const [span] = parseWhere("nationality notIn US,CA").spans;
    expect(span).toEqual({
      offset: 0,
      end: 23,
      attribute: { offset: 0, end: 11 },
      op: { offset: 12, end: 17 },
      values: [
        { offset: 18, end: 20 },
        { offset: 21, end: 23 },
      ],
    });
  });
});

describe("--where errors point at the column", () => {
  it.each([
    ["nationality notIm US", 13, 5, 'unknown operator "notIm": did you mean "notIn"?'],
    ["nationality notIn US CA", 22, 2, 'expected "," between values or "and" between conditions, found "CA"'],
    ["nationality notIn", 18, 1, 'expected a value after "notIn"'],
    ["nationality notIn US,", 22, 1, 'expected a value after ","'],
    ["nationality notIn US and", 25, 1, 'expected a condition after "and"'],
    ["nationality notIn and employer in x", 19, 3, 'expected a value after "notIn" (quote "and" to compare with the word)'],
    ["and in x", 1, 3, 'expected an attribute name, found "and"'],
    ["nationality", 12, 1, 'expected an operator after "nationality", such as in or notIn'],
    ["age lt ten", 8, 3, '"lt" compares numbers: "ten" is not a number'],
    ['age lt "10"', 8, 4, '"lt" compares numbers: "10" is not a number'],
    ["email exists yes", 14, 3, '"exists" takes no values'],
    ['employer in "acme', 13, 5, "unterminated string: add the closing \""],
    ["", 1, 1, "expected a condition such as: nationality notIn US"],
    [", in x", 1, 1, 'expected an attribute name, found ","'],
  ])("%j: column %i", (expression, column, length, message) => {
    const error = failure(expression);
    expect(error.message).toBe(message);
    expect(error.column).toBe(column);
    expect(error.length).toBe(length);
  });

  it("renders the expression with a caret line under the offending text", () => {
    expect(failure("nationality notIm US").render()).toBe(
      ['unknown operator "notIm": did you mean "notIn"? (column 13)', "  nationality notIm US", "              ^^^^^"].join("\n"),
    );
  });

  it("lists the operators when nothing is close", () => {
    expect(failure("a zzzzzzzz b").message).toMatch(/^unknown operator "zzzzzzzz": operators: in notIn startsWith/);
  });
});
