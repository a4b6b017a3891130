/**
 * Puts the evaluation fixture's flag into a fresh product server through its
 * admin API (the documented routes), and returns an sdk key for OFREP.
 */
import { FLAG, FLAG_KEY } from "../eval/fixture.js";

const ENV = "production";

async function call(base: string, token: string, method: string, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

export async function seedProduct(base: string, rootToken: string): Promise<{ sdkKey: string }> {
  const tenant = (await call(base, rootToken, "POST", "/v1/tenants", { name: "ofrep benchmark" })) as { adminKey: string };
  const admin = tenant.adminKey;
  const key = (await call(base, admin, "POST", "/v1/keys", { name: "bench-sdk", role: "sdk", env: ENV })) as { secret: string };
  await call(base, admin, "POST", "/v1/flags", { key: FLAG_KEY, kind: FLAG.kind, variants: FLAG.variants });
  const { enabled, offVariant, rules, fallthrough, failMode } = FLAG;
  await call(base, admin, "PUT", `/v1/envs/${ENV}/flags/${encodeURIComponent(FLAG_KEY)}`, {
    enabled,
    offVariant,
    rules,
    fallthrough,
    failMode,
    reason: "OFREP benchmark",
  });
  return { sdkKey: key.secret };
}
