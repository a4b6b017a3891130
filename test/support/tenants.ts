/**
 * Tenants with one key per role, made through the public API only.
 */
import { expect } from "vitest";
import type { Api } from "./api.js";
import type { ContractTarget } from "./contract-target.js";

export interface TestTenant {
  id: string;
  admin: string;
  operator: string;
  viewer: string;
  /** An sdk key of `production`. */
  sdk: string;
  /** An admin key that has been revoked. */
  revoked: string;
}

let counter = 0;

export async function createTenant(target: ContractTarget, api: Api, name = `tenant-${++counter}`): Promise<TestTenant> {
  const created = await api("POST", "/v1/tenants", { key: target.rootToken, json: { name } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const admin: string = created.body.adminKey;
  const key = async (role: string, env?: string): Promise<{ id: string; secret: string }> => {
    const res = await api("POST", "/v1/keys", { key: admin, json: { name: `${role} key`, role, ...(env ? { env } : {}) } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { id: res.body.key.id, secret: res.body.secret };
  };
  const revoked = await key("admin");
  const gone = await api("DELETE", `/v1/keys/${revoked.id}`, { key: admin });
  expect(gone.status).toBe(204);
  return {
    id: created.body.tenant.id,
    admin,
    operator: (await key("operator")).secret,
    viewer: (await key("viewer")).secret,
    sdk: (await key("sdk", "production")).secret,
    revoked: revoked.secret,
  };
}
