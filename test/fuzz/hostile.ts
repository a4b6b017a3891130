/**
 * Breaking a value on purpose: one mutation at one place of a JSON value (wrong
 * type, huge or empty string, U+0000 or a lone surrogate, deep nesting, a
 * `__proto__` key, an unknown or a missing field), and bodies that are not the
 * JSON a route expects at all.
 */
import fc from "fast-check";

/** Strings that sit on a boundary of what the service accepts, or past it. */
export const EDGE_STRINGS = [
  "",
  " ",
  "x".repeat(64),
  "x".repeat(65),
  "x".repeat(129),
  "x".repeat(257),
  "x".repeat(1025),
  "é",
  "😀",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "x\udc00",
  "__proto__",
  "constructor",
  "prototype",
  "../etc",
  "%2F",
];

export type Mutation =
  | { kind: "wrongType"; at: number; value: unknown }
  | { kind: "string"; at: number; value: string }
  | { kind: "insert"; at: number; text: string }
  | { kind: "deep"; at: number; depth: number }
  | { kind: "addKey"; at: number; key: string; value: unknown }
  | { kind: "dropKey"; at: number };

/** Arrays nested `depth` deep, as JSON text (JSON.stringify of the value itself would overflow the stack). */
export const nestedText = (depth: number): string => `${"[".repeat(depth)}${"]".repeat(depth)}`;

/** Stands for nested arrays in a value until it is serialized. */
const deepMarker = (depth: number): string => `\u0001deep:${depth}\u0001`;

/** JSON text of a (mutated) value, with deep markers replaced by the nesting they stand for. */
export function serialize(value: unknown): string {
  return JSON.stringify(value).replace(/"\\u0001deep:(\d+)\\u0001"/g, (_m, depth: string) => nestedText(Number(depth)));
}

const HOSTILE_KEYS = ["__proto__", "constructor", "prototype", "colour", "a\u0000b", "\ud800", "", "x".repeat(300)];

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("wrongType" as const), at: fc.nat(), value: fc.constantFrom<unknown>(0, -1, 1.5, 1e308, "x", "", true, null, [], {}, [1, "a"]) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("string" as const), at: fc.nat(), value: fc.constantFrom(...EDGE_STRINGS, "x".repeat(70_000), "x".repeat(300_000)) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: fc.constantFrom("\u0000", "\ud800", "\udc00", "\ud83d", "\u0000\ud800") }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant("deep" as const), at: fc.nat(), depth: fc.constantFrom(31, 33, 1000, 10_000) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("addKey" as const), at: fc.nat(), key: fc.constantFrom(...HOSTILE_KEYS), value: fc.constantFrom<unknown>({ isAdmin: true }, 1, "x", null) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("dropKey" as const), at: fc.nat() }), weight: 1 },
);

interface Slot {
  get(): unknown;
  set(value: unknown): void;
}

/** Every place of a value that can be replaced, the root first. */
function slots(root: { value: unknown }): Slot[] {
  const out: Slot[] = [{ get: () => root.value, set: (v) => (root.value = v) }];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        out.push({ get: () => value[i], set: (v) => (value[i] = v) });
        visit(item);
      });
    } else if (value !== null && typeof value === "object") {
      for (const key of Object.keys(value)) {
        const record = value as Record<string, unknown>;
        out.push({ get: () => record[key], set: (v) => define(record, key, v) });
        visit(record[key]);
      }
    }
  };
  visit(root.value);
  return out;
}

/** Sets an own property even when the key is `__proto__`, so that JSON.stringify writes it. */
function define(record: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/** `value` (a fresh copy) with the mutation applied at the place `at` picks. */
export function mutate(value: unknown, mutation: Mutation): unknown {
  const root = { value: structuredClone(value) };
  const all = slots(root);
  // String mutations go to a string when there is one: that is where a stored text could be cut.
  const strings = all.filter((s) => typeof s.get() === "string");
  const among = (mutation.kind === "insert" || mutation.kind === "string") && strings.length > 0 ? strings : all;
  const slot = among[mutation.at % among.length]!;
  const current = slot.get();
  switch (mutation.kind) {
    case "wrongType":
      slot.set(mutation.value);
      break;
    case "string":
      slot.set(mutation.value);
      break;
    case "insert": {
      const text = typeof current === "string" ? current : "value";
      const cut = mutation.at % (text.length + 1);
      slot.set(text.slice(0, cut) + mutation.text + text.slice(cut));
      break;
    }
    case "deep":
      slot.set(deepMarker(mutation.depth));
      break;
    case "addKey":
    case "dropKey": {
      const objects = all.map((s) => s.get()).filter((v): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v));
      const target = objects[mutation.at % Math.max(objects.length, 1)];
      if (target === undefined) {
        slot.set(mutation.kind === "addKey" ? { [mutation.key]: mutation.value } : {});
      } else if (mutation.kind === "addKey") {
        define(target, mutation.key, mutation.value);
      } else {
        const keys = Object.keys(target);
        if (keys.length > 0) delete target[keys[mutation.at % keys.length]!];
      }
      break;
    }
  }
  return root.value;
}

/** A body that is not a JSON value of the route's shape at all: its text and its content type. */
export const rawBodyArb: fc.Arbitrary<{ text: string; contentType: string | undefined }> = fc.oneof(
  fc.record({
    text: fc.constantFrom('{"a":', "{", "", " ", "null", "[]", "42", '"text"', "{}{}", '{"a":1,"a":2}', "\u0000", '{"a":"\\ud800"}', "\ufeff{}"),
    contentType: fc.constantFrom<string | undefined>("application/json", "application/json; charset=utf-8"),
  }),
  fc.record({ text: fc.constant("{}"), contentType: fc.constantFrom<string | undefined>(undefined, "text/plain", "application/x-www-form-urlencoded", "application/jsonx") }),
  fc.record({ text: fc.constantFrom(`{"a":${nestedText(10_000)}}`, `{"pad":"${"x".repeat(300 * 1024)}"}`), contentType: fc.constant("application/json") }),
);
