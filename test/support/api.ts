/**
 * A tiny HTTP client for the contract suite: real fetch against a base URL.
 */
import { expect } from "vitest";
import type { ContractTarget } from "./contract-target.js";

// Answers are checked field by field in the tests; `any` keeps those checks short.
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  /** Parsed JSON when the answer is JSON, the text otherwise, null when empty. */
  body: T;
}

export interface RequestOptions {
  key?: string;
  /** Serialized as JSON with Content-Type application/json. */
  json?: unknown;
  /** Sent as is (no Content-Type unless given in headers). */
  raw?: string;
  headers?: Record<string, string>;
}

// Answers are checked field by field in the tests; `any` keeps those checks short.
export type Api = <T = any>(method: string, path: string, options?: RequestOptions) => Promise<ApiResponse<T>>;

export function apiFor(target: ContractTarget): Api {
  return async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
    let body: BodyInit | undefined;
    if (options.json !== undefined) {
      headers["content-type"] ??= "application/json";
      body = JSON.stringify(options.json);
    } else if (options.raw !== undefined) {
      body = options.raw;
    }
    const response = await fetch(`${target.baseUrl}${path}`, { method, headers, body });
    if (response.headers.get("content-type")?.startsWith("text/event-stream")) {
      // An event stream does not end: its status and headers are the answer (test/support/sse.ts reads one).
      await response.body?.cancel();
      return { status: response.status, headers: response.headers, body: null };
    }
    const text = await response.text();
    const type = response.headers.get("content-type") ?? "";
    const parsed = text === "" ? null : /json/.test(type) ? JSON.parse(text) : text;
    return { status: response.status, headers: response.headers, body: parsed };
  };
}

/** A request that must succeed (2xx): answers its body; a failure names the request and shows the answer. */
// The body is `any` for the same reason as `Api`'s: the tests check it field by field.
export async function okBody(api: Api, key: string, method: string, path: string, json?: unknown): Promise<any> {
  const res = await api(method, path, { key, json });
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
  return res.body;
}
