import { describe, expect, it } from "vitest";
import { constantTimeEqual } from "../../../src/core/crypto.js";
import { KeyCache, type KeyCandidate } from "../../../src/core/store/key-cache.js";

const candidate = (tenantId: string, keyId: string, secretHash = "ab".repeat(32)): KeyCandidate => ({
  secretHash,
  key: { tenantId, keyId, name: keyId, role: "sdk", env: "production" },
});

describe("KeyCache", () => {
  it("keeps what a read found, by tenant and prefix", () => {
    const cache = new KeyCache();
    const rows = [candidate("t1", "k1")];
    cache.fill("t1", "prefix01", rows, cache.generation);
    expect(cache.get("t1", "prefix01")).toEqual(rows);
    expect(cache.get("t2", "prefix01")).toBeUndefined();
    expect(cache.get("t1", "prefix02")).toBeUndefined();
  });

  it("does not keep a read that found nothing", () => {
    const cache = new KeyCache();
    cache.fill("t1", "prefix01", [], cache.generation);
    expect(cache.get("t1", "prefix01")).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("drops a revoked key's entry, and only the entries holding that key", () => {
    const cache = new KeyCache();
    cache.fill("t1", "prefix01", [candidate("t1", "k1")], cache.generation);
    cache.fill("t1", "prefix02", [candidate("t1", "k2")], cache.generation);
    cache.fill("t2", "prefix01", [candidate("t2", "k1")], cache.generation);
    cache.invalidateKey("t1", "k1");
    expect(cache.get("t1", "prefix01")).toBeUndefined();
    expect(cache.get("t1", "prefix02")).toBeDefined();
    expect(cache.get("t2", "prefix01")).toBeDefined(); // same key id, another tenant
  });

  it("ignores a read that began before a key was dropped: it may hold the row as it was", () => {
    const cache = new KeyCache();
    const before = cache.generation;
    cache.invalidateKey("t1", "k1"); // a revocation commits while the read is in flight
    cache.fill("t1", "prefix01", [candidate("t1", "k1")], before);
    expect(cache.get("t1", "prefix01")).toBeUndefined();
    cache.fill("t1", "prefix01", [candidate("t1", "k1")], cache.generation);
    expect(cache.get("t1", "prefix01")).toBeDefined();
  });

  it("drops a (tenant, prefix) entry when a key with that prefix is created", () => {
    const cache = new KeyCache();
    const before = cache.generation;
    cache.fill("t1", "prefix01", [candidate("t1", "k1")], before);
    cache.invalidatePrefix("t1", "prefix01");
    expect(cache.get("t1", "prefix01")).toBeUndefined();
    expect(cache.generation).not.toBe(before);
  });

  it("holds at most maxEntries, dropping the oldest", () => {
    const cache = new KeyCache(2);
    cache.fill("t1", "a", [candidate("t1", "k1")], cache.generation);
    cache.fill("t2", "b", [candidate("t2", "k2")], cache.generation);
    cache.fill("t3", "c", [candidate("t3", "k3")], cache.generation);
    expect(cache.size).toBe(2);
    expect(cache.get("t1", "a")).toBeUndefined();
    expect(cache.get("t3", "c")).toBeDefined();
  });

  it("hands out frozen principals: requests share them", () => {
    const cache = new KeyCache();
    cache.fill("t1", "prefix01", [candidate("t1", "k1")], cache.generation);
    expect(Object.isFrozen(cache.get("t1", "prefix01")![0]!.key)).toBe(true);
  });
});

describe("constantTimeEqual over digests", () => {
  it("is true only for the same string", () => {
    const hash = "0123456789abcdef".repeat(4);
    expect(constantTimeEqual(hash, `${hash}`)).toBe(true);
    expect(constantTimeEqual(hash, `${hash.slice(0, -1)}0`)).toBe(false);
    expect(constantTimeEqual(hash, `f${hash.slice(1)}`)).toBe(false);
    expect(constantTimeEqual(hash, hash.slice(0, -1))).toBe(false);
    expect(constantTimeEqual(hash, `${hash}0`)).toBe(false);
    expect(constantTimeEqual("", "")).toBe(true);
  });
});
