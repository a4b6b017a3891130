/**
 * The one validator of what the service sends (wire.ts), checked on its own: the
 * client refuses, before anything changes, every frame it throws on.
 */
import { describe, expect, it } from "vitest";
import { checkEnvelope, checkMaps, checkPatch, checkServerMessage, isVersion } from "../src/wire.js";

const patch = (fields: Record<string, unknown> = {}) => ({
  t: "patch",
  v: 6,
  prev: 5,
  flags: {},
  segments: {},
  removed: { flags: [], segments: [] },
  ...fields,
});
const snapshot = (fields: Record<string, unknown> = {}) => ({ t: "snapshot", v: 6, env: "production", flags: {}, segments: {}, ...fields });

describe("isVersion", () => {
  it.each([0, 1, 5, Number.MAX_SAFE_INTEGER])("takes %s", (v) => expect(isVersion(v)).toBe(true));
  it.each([-1, 5.5, Number.MAX_SAFE_INTEGER + 1, 1e308, NaN, Infinity, "5", null, undefined])("refuses %s", (v) => expect(isVersion(v)).toBe(false));
});

describe("patch order", () => {
  it("takes a patch that moves forward: prev below v, by one or by several", () => {
    expect(() => checkEnvelope(patch({ prev: 5, v: 6 }))).not.toThrow();
    expect(() => checkEnvelope(patch({ prev: 0, v: 9 }))).not.toThrow();
  });

  it("refuses a patch whose version does not exceed its prev: equal or lower", () => {
    expect(() => checkEnvelope(patch({ prev: 6, v: 6 }))).toThrow("invalid prev");
    expect(() => checkEnvelope(patch({ prev: 7, v: 6 }))).toThrow("invalid prev");
  });

  it.each([
    ["a string", "5"],
    ["a fraction", 4.5],
    ["negative", -1],
    ["missing", undefined],
  ])("refuses a patch whose prev is %s", (_, prev) => {
    expect(() => checkEnvelope(patch({ prev }))).toThrow("invalid prev");
  });
});

describe("checkEnvelope", () => {
  it("takes a snapshot, a patch and a heartbeat", () => {
    expect(() => checkEnvelope(snapshot())).not.toThrow();
    expect(() => checkEnvelope(snapshot({ epoch: "e1" }))).not.toThrow();
    expect(() => checkEnvelope({ t: "hb", v: 3 })).not.toThrow();
  });

  it.each([
    ["not an object", "snapshot", "invalid frame"],
    ["null", null, "invalid frame"],
    ["an array", [], "invalid frame"],
    ["a version that is a string", snapshot({ v: "6" }), "invalid v"],
    ["a negative version", snapshot({ v: -1 }), "invalid v"],
    ["a snapshot without env", snapshot({ env: undefined }), "invalid env"],
    ["a snapshot whose env is a number", snapshot({ env: 1 }), "invalid env"],
    ["a snapshot whose epoch is a number", snapshot({ epoch: 3 }), "invalid epoch"],
    ["an unknown type", { t: "ack", v: 1 }, "invalid t"],
    ["no type", { v: 1 }, "invalid t"],
  ])("refuses %s", (_, m, message) => {
    expect(() => checkEnvelope(m)).toThrow(message);
  });
});

describe("checkServerMessage", () => {
  it("takes whole messages, and fields it does not know", () => {
    expect(() => checkServerMessage(snapshot({ serverTime: 1, signature: "x" }))).not.toThrow();
    expect(() => checkServerMessage(patch({ audit: { seq: 1 } }))).not.toThrow();
    expect(() => checkServerMessage({ t: "hb", v: 1, serverTime: 5 })).not.toThrow();
  });

  it.each([
    ["a serverTime that is a string", snapshot({ serverTime: "now" }), "invalid serverTime"],
    ["a snapshot whose flags are a list", snapshot({ flags: [] }), "invalid snapshot"],
    ["a snapshot without segments", snapshot({ segments: undefined }), "invalid snapshot"],
    ["a patch whose flags are a string", patch({ flags: "abc" }), "invalid flags"],
    ["a patch whose segments are null", patch({ segments: null }), "invalid segments"],
    ["a patch without removed", patch({ removed: undefined }), "invalid removed"],
    ["a patch whose removed flags hold a number", patch({ removed: { flags: [1], segments: [] } }), "invalid removed"],
    ["a patch whose removed segments hold a number after a key", patch({ removed: { flags: [], segments: ["s", 1] } }), "invalid removed"],
    ["a patch whose removed segments are not a list", patch({ removed: { flags: [], segments: "s" } }), "invalid removed"],
    ["a patch with a bad prev", patch({ prev: 6 }), "invalid prev"],
  ])("refuses %s", (_, m, message) => {
    expect(() => checkServerMessage(m)).toThrow(message);
  });

  it("checks the maps of a snapshot and the parts of a patch with the evaluator's own checks", () => {
    expect(() => checkMaps({}, {})).not.toThrow();
    expect(() => checkMaps(null, {})).toThrow("invalid snapshot");
    expect(() => checkPatch({ flags: {}, segments: {}, removed: { flags: ["a"], segments: ["b"] } })).not.toThrow();
  });
});
