import { describe, expect, it } from "vitest";
import type { CommittedChange } from "../../../src/core/broadcaster.js";
import { mergeChanges } from "../../../src/core/stream/merge-changes.js";
import { flag } from "../../node/stream/harness.js";

function change(version: number, upserts: string[], removed: string[] = [], prev = version - 1): CommittedChange {
  return {
    tenantId: "tenant0001",
    env: "production",
    version,
    prev,
    committedAt: 0,
    flags: Object.fromEntries(upserts.map((k) => [k, flag(k, version % 2 === 0, version)])),
    segments: {},
    removed: { flags: removed, segments: [] },
  };
}

describe("mergeChanges", () => {
  it("keeps the latest state of each flag across the missed changes", () => {
    const p = mergeChanges([change(4, ["a", "b"]), change(5, ["a"]), change(6, ["c"])])!;
    expect(p).toMatchObject({ t: "patch", prev: 3, v: 6, removed: { flags: [], segments: [] } });
    expect(Object.keys(p.flags).sort()).toEqual(["a", "b", "c"]);
    expect(p.flags.a!.version).toBe(5);
  });

  it("lets a later change cancel an earlier upsert or removal", () => {
    const p = mergeChanges([change(2, ["gone"]), change(3, [], ["gone", "back"]), change(4, ["back"])])!;
    expect(Object.keys(p.flags)).toEqual(["back"]);
    expect(p.removed.flags).toEqual(["gone"]);
  });

  it("returns null for nothing, or for changes with a gap", () => {
    expect(mergeChanges([])).toBeNull();
    expect(mergeChanges([change(2, ["a"]), change(4, ["a"], [], 3)])).toBeNull();
  });
});
