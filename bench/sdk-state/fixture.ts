/**
 * The state the SDK state benchmark applies: `n` availability flags shaped like the
 * evaluation benchmark's (three attribute rules), one in ten also blocked for one of 100
 * segments (each segment named by n / 1,000 flags), so that a segment change recompiles
 * the flags that name it. Deterministic.
 */
import type { PatchMessage, Segment, SnapshotMessage, WireFlag } from "@killswitch/sdk";
import { FLAG } from "../eval/fixture.js";

export const SEGMENTS = 100;

export const flagKey = (i: number): string => `model.m-${i}`;

export function flagAt(i: number, version = 1, enabled = true): WireFlag {
  const rules = i % 10 === 0 ? [...FLAG.rules, { id: "segment", when: [{ segment: [`segment-${(i / 10) % SEGMENTS}`] }], serve: { variant: "off" } }] : FLAG.rules;
  return { ...FLAG, key: flagKey(i), rules, enabled, version };
}

export function segmentAt(i: number, version = 1): Segment {
  return {
    key: `segment-${i}`,
    include: Array.from({ length: 20 }, (_, j) => `user-${i}-${j}`),
    exclude: [],
    rules: [{ when: [{ attribute: "employer", op: "in", values: [`employer-${i}`] }] }],
    version,
  };
}

/** A snapshot frame of `n` flags and the 100 segments. */
export function snapshotText(n: number, v = 1): string {
  const flags: Record<string, WireFlag> = {};
  for (let i = 0; i < n; i++) flags[flagKey(i)] = flagAt(i);
  const segments: Record<string, Segment> = {};
  for (let i = 0; i < SEGMENTS; i++) segments[`segment-${i}`] = segmentAt(i);
  return JSON.stringify({ t: "snapshot", v, env: "production", flags, segments, serverTime: 0 } satisfies SnapshotMessage);
}

/** The number of flags whose snapshot is about `bytes` long. */
export function flagsForBytes(bytes: number): number {
  const per = (snapshotText(2_000).length - snapshotText(1_000).length) / 1_000;
  return Math.ceil((bytes - snapshotText(0).length) / per);
}

/** A patch from `v - 1` to `v` that changes one flag (or one segment). */
export function patchText(v: number, change: { flag: number } | { segment: number }): string {
  const flags = "flag" in change ? { [flagKey(change.flag)]: flagAt(change.flag, v, v % 2 === 0) } : {};
  const segments = "segment" in change ? { [`segment-${change.segment}`]: segmentAt(change.segment, v) } : {};
  return JSON.stringify({ t: "patch", v, prev: v - 1, flags, segments, removed: { flags: [], segments: [] } } satisfies PatchMessage);
}
