/**
 * Random requests for every operation of the document: path values, a
 * credential, query parameters, If-Match and a body, each mostly plausible and
 * often hostile. A request is generated as choices (indexes into the world's
 * names and the ids issued so far) and made concrete only when it is sent, so a
 * seed replays the same sequence of choices.
 */
import fc from "fast-check";
import { mutate, mutationArb, rawBodyArb, serialize, type Mutation } from "./hostile.js";
import type { Operation, ServiceDocument } from "./operations.js";
import { namedPools, valuesOf } from "./values.js";
import type { World } from "./world.js";

/** Who a request claims to be. `right` is the role the operation asks for; the rest are wrong in one way each. */
export type Credential = "right" | "admin" | "weaker" | "foreignAdmin" | "foreignSdk" | "revoked" | "none" | "root" | "garbage" | "sdk";

export interface RequestChoice {
  op: Operation;
  /** Where this request is wrong on purpose, if anywhere: one fault at a time, so that the rest of it reaches the route. */
  fault: "none" | "credential" | "path" | "query" | "ifMatch" | "body";
  path: Record<string, PathChoice>;
  credential: Credential;
  query: [string, QueryChoice][];
  ifMatch: string | undefined;
  body: { kind: "none" } | { kind: "json"; value: unknown; mutation: Mutation | undefined } | { kind: "raw"; text: string; contentType: string | undefined };
}

/** A path value: a name that exists (at the start of the run), one that does not or is another tenant's, or a segment that breaks the grammar, already percent-encoded. */
type PathChoice = { from: "existing" | "other"; index: number } | { from: "raw"; text: string };
type QueryChoice = { from: "cursor"; index: number } | { from: "raw"; text: string };

const RAW_PATH = ["%00", "%ED%A0%80", "__proto__", "constructor", "x".repeat(200), "%25", "a%2Fb", "-", "1e999", "%F0%9F%98%80"];
const GOOD_QUERY = ["1", "2", "100", "500"];
const BAD_QUERY = ["0", "501", "-1", "1.5", "x", "", "1e3", "%00", "%ED%A0%80", "9007199254740993"];
const BAD_IF_MATCH = ["0", "1", '"3"', "W/\"1\"", "abc", "99999999999999999999", "", "-1"];

export function requestArb(doc: ServiceDocument, world: World): fc.Arbitrary<RequestChoice> {
  const values = valuesOf(doc, namedPools(world));
  const goodPath = fc.record({ from: fc.constant("existing" as const), index: fc.nat() });
  const badPath = fc.oneof(fc.record({ from: fc.constant("other" as const), index: fc.nat() }), fc.record({ from: fc.constant("raw" as const), text: fc.constantFrom(...RAW_PATH) }));
  const badCredential = fc.constantFrom<Credential>("admin", "weaker", "foreignAdmin", "foreignSdk", "revoked", "none", "root", "garbage", "sdk");

  // Writes twice as often as reads: they are where a refused request could still leave a trace; and
  // those whose bodies carry rules (configs, blocks, segments) twice as often again: most of what is stored is there.
  const rules = (op: Operation) => op.body !== undefined && /"(rules|when)"/.test(JSON.stringify(doc.resolve(op.body)));
  const operation = fc.oneof(...doc.operations.map((op) => ({ arbitrary: fc.constant(op), weight: op.method === "GET" ? 1 : rules(op) ? 4 : 2 })));
  return operation.chain((op) => {
    const faults: { arbitrary: fc.Arbitrary<RequestChoice["fault"]>; weight: number }[] = [
      { arbitrary: fc.constant("none"), weight: 6 },
      { arbitrary: fc.constant("credential"), weight: 1 },
      { arbitrary: fc.constant("query"), weight: 1 },
    ];
    if (op.pathParams.length > 0) faults.push({ arbitrary: fc.constant("path"), weight: 1 });
    if (op.ifMatch) faults.push({ arbitrary: fc.constant("ifMatch"), weight: 1 });
    if (op.body !== undefined) faults.push({ arbitrary: fc.constant("body"), weight: 4 });

    const pathOf = (bad: boolean) => fc.record(Object.fromEntries(op.pathParams.map((name) => [name, bad ? fc.oneof(goodPath, badPath) : goodPath])) as Record<string, fc.Arbitrary<PathChoice>>);
    const known = op.query.map((q) => q.name);
    const goodQuery: fc.Arbitrary<[string, QueryChoice][]> =
      known.length === 0
        ? fc.constant([])
        : fc.uniqueArray(
            fc.constantFrom(...known).chain((name) =>
              fc.tuple(fc.constant(name), name === "cursor" ? fc.record({ from: fc.constant("cursor" as const), index: fc.nat() }) : fc.record({ from: fc.constant("raw" as const), text: fc.constantFrom(...GOOD_QUERY) })),
            ),
            { selector: ([name]) => name, maxLength: known.length },
          );
    const badQuery = fc.array(
      fc.tuple(
        fc.constantFrom(...known, "key", "bogus", "__proto__", "since", "a%00"),
        fc.oneof(fc.record({ from: fc.constant("cursor" as const), index: fc.nat() }), fc.record({ from: fc.constant("raw" as const), text: fc.constantFrom(...GOOD_QUERY, ...BAD_QUERY) })),
      ),
      { minLength: 1, maxLength: 3 },
    );
    const json = op.body === undefined ? undefined : values(op.body);
    const goodBody: fc.Arbitrary<RequestChoice["body"]> = json === undefined ? fc.constant({ kind: "none" as const }) : json.map((value) => ({ kind: "json" as const, value, mutation: undefined }));
    const badBody: fc.Arbitrary<RequestChoice["body"]> =
      json === undefined
        ? fc.constant({ kind: "none" as const })
        : fc.oneof(
            { arbitrary: fc.tuple(json, mutationArb).map(([value, mutation]) => ({ kind: "json" as const, value, mutation })), weight: 4 },
            { arbitrary: rawBodyArb.map((raw) => ({ kind: "raw" as const, ...raw })), weight: 1 },
            ...(op.bodyRequired ? [] : [{ arbitrary: fc.constant({ kind: "none" as const }), weight: 1 }]),
          );

    return fc.oneof(...faults).chain((fault) =>
      fc.record({
        op: fc.constant(op),
        fault: fc.constant(fault),
        path: pathOf(fault === "path"),
        credential: fault === "credential" ? badCredential : fc.constant<Credential>("right"),
        query: fault === "query" ? badQuery : goodQuery,
        ifMatch: fault === "ifMatch" ? fc.constantFrom(...BAD_IF_MATCH) : fc.constantFrom(undefined, undefined, undefined, "*"),
        body: fault === "body" ? badBody : goodBody,
      }),
    );
  });
}

/** The request a choice stands for, against the world as it is now. */
export interface ConcreteRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  /** For messages: which credential, never the secret. */
  credential: Credential;
  headers: Record<string, string>;
  body: string | undefined;
}

/** Which key a role names, when the operation's access is `access`. */
function keyFor(world: World, access: string, credential: Credential): string | undefined {
  const { a, b, target } = world;
  const byRole: Record<string, string | undefined> = { viewer: a.viewer, operator: a.operator, admin: a.admin, sdk: a.sdk, root: target.rootToken, none: undefined };
  const role = access.startsWith("viewer") ? "viewer" : access;
  const weaker: Record<string, string | undefined> = { viewer: a.sdk, operator: a.viewer, admin: a.operator, sdk: a.viewer, root: a.admin, none: undefined };
  switch (credential) {
    case "right":
      return byRole[role];
    case "admin":
      return a.admin;
    case "weaker":
      return weaker[role];
    case "foreignAdmin":
      return b.admin;
    case "foreignSdk":
      return b.sdk;
    case "revoked":
      return a.revoked;
    case "none":
      return undefined;
    case "root":
      return target.rootToken;
    case "garbage":
      return `ks_${a.id}_${"A".repeat(43)}`;
    case "sdk":
      return a.sdk;
  }
}

function pathValue(world: World, template: string, name: string, choice: PathChoice): string {
  if (choice.from === "raw") return choice.text;
  const { names, issued } = world;
  const pick = <T>(list: T[]): T => list[choice.index % list.length]!;
  const existing = choice.from === "existing";
  const segments = template.includes("/segments/");
  switch (name) {
    case "env":
      return pick(existing ? names.envs : names.otherEnvs);
    case "key":
      return encodeURIComponent(pick(segments ? (existing ? names.segments : names.otherSegments) : existing ? names.flags : names.otherFlags));
    case "ruleId":
      return encodeURIComponent(existing && issued.rules.length > 0 ? pick(issued.rules).id : pick(names.otherRuleIds));
    case "id":
      return pick(existing ? issued.keyIds : names.otherKeyIds);
    case "version":
      return String(existing ? choice.index % 40 : 1e6 + choice.index);
    case "name":
      return encodeURIComponent(pick(existing ? names.declared : names.otherDeclared));
    case "ref":
      return encodeURIComponent(pick(existing ? names.directives : names.otherDirectives));
    default:
      return pick(names.flags);
  }
}

export function concrete(world: World, choice: RequestChoice): ConcreteRequest {
  const { op } = choice;
  let path = op.template;
  const values = Object.fromEntries(op.pathParams.map((name) => [name, pathValue(world, op.template, name, choice.path[name]!)]));
  // A rule that exists lives on one flag in one environment: name those too, unless the fault is there.
  const rule = choice.path.ruleId;
  if (rule?.from === "existing" && world.issued.rules.length > 0 && choice.fault !== "path") {
    const { env, flag } = world.issued.rules[rule.index % world.issued.rules.length]!;
    Object.assign(values, { env, key: encodeURIComponent(flag) });
  }
  for (const name of op.pathParams) path = path.replace(`{${name}}`, values[name]!);
  const cursors = choice.fault === "query" ? world.names.otherCursors : (world.issued.cursors[path] ?? []);
  const query = choice.query
    // A list not paged yet has no cursor to give.
    .filter(([, value]) => value.from === "raw" || cursors.length > 0)
    .map(([name, value]) => `${name}=${value.from === "raw" ? value.text : encodeURIComponent(cursors[value.index % cursors.length]!)}`)
    .join("&");
  const headers: Record<string, string> = {};
  const key = keyFor(world, op.access, choice.credential);
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  if (choice.ifMatch !== undefined) headers["if-match"] = choice.ifMatch;
  let body: string | undefined;
  if (choice.body.kind === "json") {
    const value = choice.body.mutation === undefined ? choice.body.value : mutate(choice.body.value, choice.body.mutation);
    body = serialize(value);
    headers["content-type"] = "application/json";
  } else if (choice.body.kind === "raw") {
    body = choice.body.text;
    if (choice.body.contentType !== undefined) headers["content-type"] = choice.body.contentType;
  }
  return { method: op.method, url: query === "" ? path : `${path}?${query}`, credential: choice.credential, headers, body };
}
