/**
 * How the console reads and writes: through the app's own `/v1` routes, in
 * process, as its session's key. The console has no logic of its own for what
 * the API decides (validation, roles, audit, versions): a page shows what the
 * API answered, and a refused form shows the API's problem.
 */
import type { AuthenticatedKey } from "../../core/store/index.js";
import { callerEnv } from "../internal-caller.js";

/** The app's `fetch`, with the bindings that say who calls (src/http/internal-caller.ts). */
export type Dispatch = (request: Request, env: object) => Response | Promise<Response>;

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { path: string; message: string; code: string }[];
}

/** A refusal of the API (4xx/5xx), with its problem JSON. */
export class ApiProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
  get status(): number {
    return this.problem.status;
  }
}

export class ConsoleApi {
  constructor(
    private readonly dispatch: Dispatch,
    readonly key: AuthenticatedKey,
    /** The request's origin: in-process requests still need an absolute URL. */
    private readonly origin: string,
  ) {}

  /** The answer as the API gave it, whatever its status. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    return this.dispatch(new Request(new URL(path, this.origin), init), callerEnv(this.key));
  }

  get<T>(path: string): Promise<T> {
    return this.#json<T>(path, { method: "GET" });
  }

  /** A write: `body` as JSON; resolves to the answer, rejects with ApiProblem. */
  send<T>(method: "POST" | "PUT" | "PATCH" | "DELETE", path: string, body: unknown): Promise<T> {
    return this.#json<T>(path, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  }

  async #json<T>(path: string, init: RequestInit): Promise<T> {
    const response = await this.fetch(path, init);
    const body: unknown = response.status === 204 ? null : await response.json();
    if (!response.ok) throw new ApiProblem(body as Problem);
    return body as T;
  }
}

/** A path segment, escaped. */
export const seg = (value: string): string => encodeURIComponent(value);
