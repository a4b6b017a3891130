/**
 * The oracle for one HTTP request: no 5xx; an error in the route's own shape
 * (problem JSON, or OFREP's); and on every 4xx, nothing written — both tenants'
 * audit heads and environment versions as before.
 */
import type { ConcreteRequest } from "./requests.js";
import { writtenState, type World, type Written } from "./world.js";
import { isDeepStrictEqual } from "node:util";

export interface Failure {
  /** Which check failed: "5xx", "write-on-4xx", "error-shape", "verify", "sdk-snapshot", "sdk-compile", "stream". */
  check: string;
  detail: string;
  request?: ConcreteRequest;
  status?: number;
  /** The answer's body, as text (truncated in messages). */
  body?: string;
  /** What the check found wrong, as data (for the known-findings list): a flag and the segments it names, or a segment. */
  subject?: unknown;
}

export interface Answer {
  status: number;
  contentType: string;
  text: string;
}

export async function send(world: World, request: ConcreteRequest): Promise<Answer> {
  const response = await fetch(`${world.target.baseUrl}${request.url}`, { method: request.method, headers: request.headers, body: request.body });
  const contentType = response.headers.get("content-type") ?? "";
  // An event stream never ends: its status and type are the answer.
  if (contentType.startsWith("text/event-stream")) {
    await response.body?.cancel();
    return { status: response.status, contentType, text: "" };
  }
  return { status: response.status, contentType, text: await response.text() };
}

function parse(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Judges one answer; returns the state after it (the next request's "before") and what failed. */
export async function judge(world: World, before: Written, request: ConcreteRequest, answer: Answer, ofrep: boolean): Promise<{ after: Written; failures: Failure[] }> {
  const failures: Failure[] = [];
  const fail = (check: string, detail: string) => failures.push({ check, detail, request, status: answer.status, body: answer.text });
  if (answer.status >= 500 || answer.status < 100) fail("5xx", `answered ${answer.status}`);

  if (answer.status >= 400 && answer.status < 500) {
    const body = parse(answer.text);
    if (ofrep) {
      if (!/^application\/json/.test(answer.contentType) || typeof body?.errorCode !== "string") fail("error-shape", "an OFREP error is not {errorCode, errorDetails} JSON");
    } else if (answer.contentType !== "application/problem+json" || body?.status !== answer.status || typeof body?.detail !== "string") {
      fail("error-shape", "an error is not problem JSON with its status and a detail");
    }
  }

  const after = await writtenState(world);
  if (answer.status >= 400 && answer.status < 500 && !isDeepStrictEqual(after, before)) {
    fail("write-on-4xx", `refused, yet the state moved from ${JSON.stringify(before)} to ${JSON.stringify(after)}`);
  }
  if (answer.status < 300) harvest(world, request, answer);
  return { after, failures };
}

const MAX_ISSUED = 50;

/** Ids and cursors from successful answers, for later requests to reuse. */
function harvest(world: World, request: ConcreteRequest, answer: Answer): void {
  const body = parse(answer.text);
  if (body === undefined || body === null || typeof body !== "object") return;
  const add = (list: string[], value: unknown) => {
    if (typeof value === "string" && !list.includes(value) && list.length < MAX_ISSUED) list.push(value);
  };
  if (typeof body.nextCursor === "string") add((world.issued.cursors[request.url.split("?")[0]!] ??= []), body.nextCursor);
  // A rule id is only worth something with its flag and environment: block answers {version, ruleId}, a config PUT its rules.
  const config = /^\/v1\/envs\/([^/]+)\/flags\/([^/]+)(\/block)?$/.exec(request.url.split("?")[0]!);
  if (config !== null) {
    const [, env, flag] = config.map((part) => decodeURIComponent(part ?? ""));
    const ids: unknown[] = typeof body.ruleId === "string" ? [body.ruleId] : Array.isArray(body.rules) ? body.rules.map((rule: { id?: unknown }) => rule.id) : [];
    for (const id of ids) {
      if (typeof id === "string" && world.issued.rules.length < MAX_ISSUED && !world.issued.rules.some((r) => r.id === id && r.env === env && r.flag === flag)) {
        world.issued.rules.push({ env: env!, flag: flag!, id });
      }
    }
  }
  if (body.key !== null && typeof body.key === "object") add(world.issued.keyIds, body.key.id);
}

/** A failure as a message that lets anyone replay it. */
export function describeFailure(failure: Failure, replay: string): string {
  const lines = [`${failure.check}: ${failure.detail}`];
  const { request } = failure;
  if (request !== undefined) {
    const headers = Object.entries(request.headers)
      .filter(([name]) => name !== "authorization")
      .map(([name, value]) => `${name}: ${value}`);
    lines.push(`request: ${request.method} ${request.url} (credential: ${request.credential}${headers.length ? `; ${headers.join("; ")}` : ""})`);
    if (request.body !== undefined) lines.push(`body: ${truncate(request.body)}`);
  }
  if (failure.status !== undefined) lines.push(`answer: ${failure.status} ${truncate(failure.body ?? "")}`);
  lines.push(`replay: ${replay}`);
  return lines.join("\n");
}

function truncate(text: string, max = 2000): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
}
