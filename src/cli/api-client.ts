/**
 * The HTTP API as the CLI uses it: a bearer key, JSON in and out, and every
 * failure turned into the exit code it means: a problem answer (4xx) is "refused"
 * (2) with its detail, no answer or a 5xx is "unreachable" (5).
 */
import type { problemSchema } from "../core/schemas/responses.js";
import type { z } from "zod";
import { CliError } from "./cli-error.js";
import { EXIT } from "./exit-codes.js";

export type Problem = z.infer<typeof problemSchema>;

/** How long one request may take before the service counts as unreachable. */
export const REQUEST_TIMEOUT_MS = 15_000;

const VERSION = "0.1.0";

export interface RequestOptions {
  json?: unknown;
  query?: Record<string, string | number | undefined>;
  accept?: string;
  signal?: AbortSignal;
}

export interface Answer<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** The API refused a request: the problem it answered. */
export class ApiRefusal extends CliError {
  constructor(
    readonly problem: Problem,
    readonly request: string,
  ) {
    super(EXIT.refused, describeProblem(problem), { error: problem });
  }
}

/** `title (status): detail`, then one line per field error not already in the detail. */
export function describeProblem(problem: Problem): string {
  const lines = [`${problem.title} (${problem.status}): ${problem.detail}`];
  for (const e of problem.errors ?? []) {
    if (!problem.detail.includes(e.message)) lines.push(`  ${e.path || "(body)"}: ${e.message}`);
  }
  return lines.join("\n");
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly key: string | undefined,
  ) {}

  /** A request that must succeed; its parsed JSON body (or text, for other types). */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<Answer<T>> {
    const signals = [AbortSignal.timeout(REQUEST_TIMEOUT_MS), ...(options.signal ? [options.signal] : [])];
    const { response, what } = await this.#send(method, path, { ...options, signal: AbortSignal.any(signals) });
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw unreachable(this.baseUrl, error);
    }
    const type = response.headers.get("content-type") ?? "";
    const body = text === "" ? null : /json/.test(type) ? parseJson(text, what) : text;
    throwUnlessOk(response, body, what);
    return { status: response.status, headers: response.headers, body: body as T };
  }

  /**
   * A long answer read as it arrives (`GET /v1/events`): resolves once the headers
   * are in (within the request timeout), with the response whose body is the
   * stream; `signal` ends it.
   */
  async openStream(path: string, options: { accept: string; headers?: Record<string, string>; signal: AbortSignal }): Promise<Response> {
    const connecting = new AbortController();
    const timer = setTimeout(() => connecting.abort(new DOMException("no answer", "TimeoutError")), REQUEST_TIMEOUT_MS);
    try {
      const { response, what } = await this.#send("GET", path, {
        accept: options.accept,
        headers: options.headers,
        signal: AbortSignal.any([connecting.signal, options.signal]),
      });
      if (!response.ok) {
        const text = await response.text().catch(() => "");
        const body = /json/.test(response.headers.get("content-type") ?? "") ? parseJson(text, what) : text;
        throwUnlessOk(response, body, what);
      }
      return response;
    } finally {
      clearTimeout(timer);
    }
  }

  async #send(
    method: string,
    path: string,
    options: RequestOptions & { headers?: Record<string, string> | undefined; signal: AbortSignal },
  ): Promise<{ response: Response; what: string }> {
    // Appended, not resolved: a base URL's own path (a proxy's /killswitch) stays in front of /v1/….
    const url = new URL(`${this.baseUrl.replace(/\/+$/, "")}${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = {
      accept: options.accept ?? "application/json",
      "user-agent": `killswitch-cli/${VERSION}`,
      ...options.headers,
    };
    if (this.key) headers.authorization = `Bearer ${this.key}`;
    if (options.json !== undefined) headers["content-type"] = "application/json";
    try {
      const response = await fetch(url, {
        method,
        headers,
        body: options.json === undefined ? undefined : JSON.stringify(options.json),
        signal: options.signal,
      });
      return { response, what: `${method} ${url.pathname}` };
    } catch (error) {
      throw unreachable(this.baseUrl, error);
    }
  }

  get<T>(path: string, options?: RequestOptions): Promise<T> {
    return this.request<T>("GET", path, options).then((a) => a.body);
  }

  /** Every item of a paged list (`{items, nextCursor?}`), 500 per request. */
  async getAll<T>(path: string, query: RequestOptions["query"] = {}): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.get<{ items: T[]; nextCursor?: string }>(path, { query: { ...query, limit: 500, cursor } });
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  }

  post<T>(path: string, json: unknown): Promise<T> {
    return this.request<T>("POST", path, { json }).then((a) => a.body);
  }
}

/** A 5xx is "unreachable" (5), a 4xx "refused" (2) with the problem's detail. */
function throwUnlessOk(response: Response, body: unknown, what: string): void {
  if (response.status >= 500) {
    const detail = isProblem(body) ? body.detail : `${response.status} ${response.statusText}`;
    const retry = response.headers.get("retry-after");
    throw new CliError(EXIT.unreachable, `the service could not answer ${what}: ${detail}${retry ? ` (retry after ${retry} s)` : ""}`, {
      error: isProblem(body) ? body : { status: response.status },
    });
  }
  if (response.status >= 400) {
    if (isProblem(body)) throw new ApiRefusal(body, what);
    throw new ApiRefusal({ type: "about:blank", title: response.statusText || "Refused", status: response.status, detail: `${what} answered ${response.status}` }, what);
  }
}

function isProblem(body: unknown): body is Problem {
  return typeof body === "object" && body !== null && typeof (body as Problem).status === "number" && typeof (body as Problem).detail === "string";
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(EXIT.unreachable, `${what} answered something that is not JSON: ${text.slice(0, 200)}`);
  }
}

function unreachable(baseUrl: string, error: unknown): CliError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const reason =
    (error as Error).name === "TimeoutError"
      ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`
      : (cause?.code ?? cause?.message ?? (error as Error).message);
  return new CliError(EXIT.unreachable, `cannot reach the service at ${baseUrl}: ${reason}`, { error: { unreachable: baseUrl, reason } });
}

/** Path segments are keys the API restricts to URL-safe characters; encode anyway, a typo must not change the route. */
export const seg = (value: string): string => encodeURIComponent(value);
