/**
 * The one validator of what the service sends (protocol 1): the client checks every
 * frame with it, and the cache it persisted, before anything is applied, so that a
 * frame is applied whole or not at all; the service can check what it sends with the
 * same code (`@killswitch/sdk/protocol`).
 *
 * Strict on the fields the protocol defines, silent on any other: a newer service may
 * add fields (an audit reference, a signature), and an older client must still read
 * the frame. A flag's or a segment's own content is not checked here: the evaluator
 * compiles each on its own, and one it cannot compile serves PARSE_ERROR without
 * touching the others.
 */
import type { RulesetPatch } from "./ruleset.js";
import type { ServerMessage } from "./protocol.js";
import { isObject, need } from "./evaluator/need.js";

/** A version: a safe integer, not negative. Anything else (a string, 1e308, 5.5) could not be compared or acked. */
export const isVersion = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

const isKeys = (x: unknown): boolean => Array.isArray(x) && x.every((k) => typeof k == "string");

/**
 * Throws `invalid <field>` unless a patch's parts have the protocol's types: `flags` and
 * `segments` objects, `removed` two lists of keys. The evaluator checks it before it
 * changes anything.
 *
 * @example
 * ```ts
 * checkPatch({ flags: "abc", segments: {}, removed: { flags: [], segments: [] } }); // throws "invalid flags"
 * ```
 */
export function checkPatch(p: RulesetPatch): void {
  need(isObject(p.flags), "flags");
  need(isObject(p.segments), "segments");
  const r = p.removed;
  need(isObject(r) && isKeys(r.flags) && isKeys(r.segments), "removed");
}

/**
 * @internal Throws `invalid <field>` unless `m` is a protocol-1 message as far as the
 * client reads it before the evaluator: its type, versions (safe integers, a patch's
 * `prev < v`), a snapshot's `env` and `epoch`. The evaluator checks the parts
 * (`flags`, `segments`, `removed`) before it changes anything.
 */
export function checkEnvelope(m: unknown): asserts m is ServerMessage {
  need(isObject(m), "frame");
  need(isVersion(m.v), "v");
  if (m.t == "patch") need(isVersion(m.prev) && m.prev < m.v, "prev");
  else if (m.t == "snapshot") {
    need(typeof m.env == "string", "env");
    need(m.epoch === undefined || typeof m.epoch == "string", "epoch");
  } else need(m.t == "hb", "t");
}

/**
 * Throws `invalid <field>` unless `m` is a server message of protocol 1 (a `snapshot`,
 * `patch` or `hb`; the bare `pong` is not JSON): versions are safe integers, a patch
 * moves forward (`prev < v`), every field the protocol defines has its type. Fields it
 * does not know are ignored. The HTTP snapshot is checked as the `snapshot` message it
 * carries (`v` is its `version`). The client runs the same checks, in two steps: the
 * envelope, then the parts as the evaluator receives them.
 *
 * @example
 * ```ts
 * import { checkServerMessage } from "@killswitch/sdk/protocol";
 * checkServerMessage(JSON.parse(frame)); // throws "invalid v" for { "t": "snapshot", "v": "10", … }
 * ```
 */
export function checkServerMessage(m: unknown): asserts m is ServerMessage {
  checkEnvelope(m);
  const time = (m as { serverTime?: unknown }).serverTime;
  need(time === undefined || typeof time == "number", "serverTime");
  if (m.t == "patch") checkPatch(m);
  else if (m.t == "snapshot") checkMaps(m.flags, m.segments);
}

/** Throws `invalid snapshot` unless a snapshot's `flags` and `segments` are objects. */
export function checkMaps(flags: unknown, segments: unknown): void {
  need(isObject(flags) && isObject(segments), "snapshot");
}
