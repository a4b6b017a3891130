import { describe, expect, it } from "vitest";
import { VersionCache } from "../../../src/core/store/version-cache.js";

describe("VersionCache", () => {
  it("remembers versions per tenant and environment", () => {
    const cache = new VersionCache();
    cache.fill("t1", "production", 3, cache.generation);
    cache.raise("t1", "staging", 1);
    expect(cache.get("t1", "production")).toBe(3);
    expect(cache.get("t1", "staging")).toBe(1);
    expect(cache.get("t2", "production")).toBeUndefined();
  });

  it("never goes back: a read that returns after a commit raised the version cannot lower it", () => {
    const cache = new VersionCache();
    const generation = cache.generation;
    cache.raise("t1", "production", 5); // committed while the read of version 4 was in flight
    cache.fill("t1", "production", 4, generation);
    expect(cache.get("t1", "production")).toBe(5);
    cache.raise("t1", "production", 2);
    expect(cache.get("t1", "production")).toBe(5);
  });

  it("forgets an environment, and ignores reads begun before", () => {
    const cache = new VersionCache();
    cache.raise("t1", "production", 5);
    const generation = cache.generation;
    cache.invalidate("t1", "production");
    expect(cache.get("t1", "production")).toBeUndefined();
    cache.fill("t1", "production", 5, generation);
    expect(cache.get("t1", "production")).toBeUndefined();
    cache.fill("t1", "production", 6, cache.generation);
    expect(cache.get("t1", "production")).toBe(6);
  });

  it("holds at most maxEntries, dropping the oldest", () => {
    const cache = new VersionCache(2);
    cache.raise("t1", "production", 1);
    cache.raise("t2", "production", 2);
    cache.raise("t2", "production", 3); // an update is not a new entry
    cache.raise("t3", "production", 4);
    expect(cache.size).toBe(2);
    expect(cache.get("t1", "production")).toBeUndefined();
    expect(cache.get("t2", "production")).toBe(3);
    expect(cache.get("t3", "production")).toBe(4);
  });
});
