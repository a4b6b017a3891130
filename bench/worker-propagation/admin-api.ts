/**
 * The few admin calls the benchmark makes, through the public HTTP API only:
 * a tenant with the root token, an sdk key and a flag with its admin key,
 * kill/restore flips, and propagation receipts.
 */

export const ENV = "production";
export const FLAG = "model.bench";

/** The fields of a propagation receipt the benchmark reads (docs/stream.md, "Propagation receipts"). */
export interface Receipt {
  version: number;
  committedAt: string;
  connected: number;
  acked: number;
  pending: unknown[];
  latencyMs: { p50: number | null; p99: number | null; max: number | null };
  complete: boolean;
}

export interface BenchTenant {
  id: string;
  admin: string;
  sdk: string;
}

async function call<T>(baseUrl: string, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(baseUrl + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}

async function expectStatus<T>(pending: Promise<{ status: number; body: T }>, status: number, what: string): Promise<T> {
  const res = await pending;
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A fresh tenant with an sdk key of `production` and one boolean flag, on. */
export async function createBenchTenant(baseUrl: string, rootToken: string, name: string): Promise<BenchTenant> {
  const created = await expectStatus(
    call<{ tenant: { id: string }; adminKey: string }>(baseUrl, "POST", "/v1/tenants", rootToken, { name }),
    201,
    "POST /v1/tenants",
  );
  const admin = created.adminKey;
  const key = await expectStatus(
    call<{ secret: string }>(baseUrl, "POST", "/v1/keys", admin, { name: "bench sdk", role: "sdk", env: ENV }),
    201,
    "POST /v1/keys",
  );
  await expectStatus(call(baseUrl, "POST", "/v1/flags", admin, { key: FLAG, kind: "boolean" }), 201, "POST /v1/flags");
  return { id: created.tenant.id, admin, sdk: key.secret };
}

export interface Flip {
  version: number;
  /** `performance.timeOrigin + performance.now()` just before the request was sent. */
  sentAt: number;
  /** Until the admin answer was read. */
  answerMs: number;
}

/** Kill (`on` false) or restore the bench flag; answers the new environment version. */
export async function flip(baseUrl: string, admin: string, kill: boolean): Promise<Flip> {
  const path = `/v1/envs/${ENV}/flags/${FLAG}/${kill ? "kill" : "restore"}`;
  const body = { reason: kill ? "benchmark flip: kill" : "benchmark flip: restore" };
  const sentAt = performance.timeOrigin + performance.now();
  const res = await expectStatus(call<{ version: number }>(baseUrl, "POST", path, admin, body), 200, `POST ${path}`);
  return { version: res.version, sentAt, answerMs: performance.timeOrigin + performance.now() - sentAt };
}

/** `GET /v1/envs/production/changes/{version}`. */
export function receipt(baseUrl: string, admin: string, version: number): Promise<Receipt> {
  return expectStatus(call<Receipt>(baseUrl, "GET", `/v1/envs/${ENV}/changes/${version}`, admin), 200, `receipt ${version}`);
}
