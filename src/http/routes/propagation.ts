/**
 * The propagation proof over HTTP, shared by both hosts:
 * `GET /v1/envs/{env}/changes/{version}` (the receipt of one version, with
 * the audit entry of the change that made it) and
 * `GET /v1/envs/{env}/instances`. Each host adds them through its `extend` hook
 * with its own source: the Node tracker, or the Worker's tracker and hub.
 */
import { z } from "zod";
import type { InstanceList, PropagationReceipt } from "../../core/receipts/receipt.js";
import { notFound } from "../../core/problem.js";
import type { App, AppDeps } from "../app-env.js";
import { requireKey } from "../auth.js";
import { noQuery, pathKey, readQuery } from "../request.js";

/** Where a host reads receipts and connected instances from (memory, or a database shared by several nodes). */
export interface PropagationSource {
  receipt(tenantId: string, env: string, version: number): PropagationReceipt | null | Promise<PropagationReceipt | null>;
  instances(tenantId: string, env: string, limit?: number): InstanceList | Promise<InstanceList>;
}

export const instancesQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100_000).optional(),
});

/** `coverage` ends the 404 detail: which versions this host keeps receipts for. */
export function propagationRoutes(app: App, { store }: AppDeps, source: PropagationSource, coverage: string): void {
  app.get("/v1/envs/:env/changes/:version", async (c) => {
    const key = requireKey(c, "viewer");
    const env = pathKey(c, "env", "environment");
    await store.getEnvironment(key.tenantId, env); // 404 for an environment the tenant does not have
    const raw = c.req.param("version");
    const version = /^\d{1,15}$/.test(raw) ? Number(raw) : -1;
    const receipt = version >= 0 ? await source.receipt(key.tenantId, env, version) : null;
    if (!receipt) throw notFound(`No propagation record for version "${raw}" of "${env}": receipts cover ${coverage}.`);
    noQuery(c);
    // The same on every host: read from the change log, where the commit named its audit entry.
    const audit = await store.changeAudit(key.tenantId, env, version);
    return c.json({ ...receipt, ...(audit ? { audit } : {}), final: receipt.final ?? false });
  });

  app.get("/v1/envs/:env/instances", async (c) => {
    const key = requireKey(c, "viewer");
    const env = pathKey(c, "env", "environment");
    await store.getEnvironment(key.tenantId, env);
    const { limit } = readQuery(c, instancesQuerySchema);
    return c.json(await source.instances(key.tenantId, env, limit));
  });
}
