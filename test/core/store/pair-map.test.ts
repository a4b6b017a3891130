import { describe, expect, it } from "vitest";
import { PairMap } from "../../../src/core/store/pair-map.js";

describe("PairMap", () => {
  it("keys values by a pair, counting pairs, not tenants", () => {
    const map = new PairMap<number>();
    map.set("t1", "a", 1);
    map.set("t1", "b", 2);
    map.set("t2", "a", 3);
    map.set("t1", "a", 4); // replaced, not added
    expect(map.size).toBe(3);
    expect(map.get("t1", "a")).toBe(4);
    expect(map.get("t2", "b")).toBeUndefined();
    expect(map.has("t2", "a")).toBe(true);
    expect(map.entriesOf("t1")).toEqual([
      ["a", 4],
      ["b", 2],
    ]);
  });

  it("deletes pairs, and forgets a tenant with none left", () => {
    const map = new PairMap<number>();
    map.set("t1", "a", 1);
    map.set("t2", "a", 2);
    expect(map.delete("t1", "a")).toBe(true);
    expect(map.delete("t1", "a")).toBe(false);
    expect(map.size).toBe(1);
    expect([...map.entries()]).toEqual([["t2", "a", 2]]);
    expect(map.first()).toEqual(["t2", "a", 2]);
    map.clear();
    expect(map.size).toBe(0);
    expect(map.first()).toBeUndefined();
  });
});
