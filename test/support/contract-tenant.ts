/**
 * The start most contract and e2e files share: one target, its client, and one
 * fresh tenant; and the flag and segment the kill/block files act on.
 */
import { apiFor, type Api } from "./api.js";
import { startContractTarget, type ContractTarget } from "./contract-target.js";
import { createTenant, type TestTenant } from "./tenants.js";

export interface ContractTenant<T extends ContractTarget = ContractTarget> {
  target: T;
  api: Api;
  t: TestTenant;
}

/** Starts the in-process contract target, or the one `start` gives (the e2e suite's server process). */
export async function startWithTenant(): Promise<ContractTenant>;
export async function startWithTenant<T extends ContractTarget>(start: () => Promise<T>): Promise<ContractTenant<T>>;
export async function startWithTenant(start: () => Promise<ContractTarget> = startContractTarget): Promise<ContractTenant> {
  const target = await start();
  const api = apiFor(target);
  return { target, api, t: await createTenant(target, api) };
}

/** Flag `model.fable-5` (boolean) and segment `foreign-nationals` in production. */
export async function seedFableAndForeignNationals(api: Api, t: TestTenant): Promise<void> {
  await api("POST", "/v1/flags", { key: t.admin, json: { key: "model.fable-5", kind: "boolean" } });
  await api("PUT", "/v1/envs/production/segments/foreign-nationals", {
    key: t.admin,
    json: { rules: [{ when: [{ attribute: "nationality", op: "notIn", values: ["US"] }] }], reason: "test set-up" },
  });
}
