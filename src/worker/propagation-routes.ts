/**
 * The propagation proof on the Worker host, with the Node host's routes,
 * checks and answers (src/node/stream/propagation-routes.ts):
 * `GET /v1/envs/{env}/changes/{version}` and `GET /v1/envs/{env}/instances`.
 * The receipt joins the commit-time record (receipt-book.ts) with the open
 * sockets' attachments, through the core's `mergeReceiptParts`.
 */
import { z } from "zod";
import { mergeReceiptParts, type InstanceList, type PropagationReceipt } from "../core/propagation.js";
import { notFound } from "../core/problem.js";
import type { App, AppDeps } from "../http/create-app.js";
import { requireKey } from "../http/auth.js";
import { pathKey, readQuery } from "../http/request.js";
import type { HibernatingHub } from "./hibernating-hub.js";
import type { ReceiptBook } from "./receipt-book.js";

const instancesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100_000).optional(),
});

export function propagationRoutes(app: App, { store }: AppDeps, hub: HibernatingHub, book: ReceiptBook): void {
  app.get("/v1/envs/:env/changes/:version", async (c) => {
    const key = requireKey(c, "viewer");
    const env = pathKey(c, "env", "environment");
    await store.getEnvironment(key.tenantId, env); // 404 for an environment the tenant does not have
    const raw = c.req.param("version");
    const version = /^\d{1,15}$/.test(raw) ? Number(raw) : -1;
    const receipt = version >= 0 ? receiptOf(hub, book, env, version) : null;
    if (!receipt) {
      throw notFound(`No propagation record for version "${raw}" of "${env}": receipts cover the recent versions of an environment.`);
    }
    return c.json(receipt);
  });

  app.get("/v1/envs/:env/instances", async (c) => {
    const key = requireKey(c, "viewer");
    const env = pathKey(c, "env", "environment");
    await store.getEnvironment(key.tenantId, env);
    const { limit } = readQuery(c, instancesQuery);
    return c.json(instancesOf(hub, env, limit));
  });
}

function receiptOf(hub: HibernatingHub, book: ReceiptBook, env: string, version: number): PropagationReceipt | null {
  const part = book.part(env, version, hub.pending(env, version));
  return part && mergeReceiptParts([part]);
}

function instancesOf(hub: HibernatingHub, env: string, limit = Infinity): InstanceList {
  const all = hub.connections(env);
  const items = all.slice(0, limit).map((c) => ({
    instance: c.instance!,
    app: c.app!,
    sdk: c.sdk!,
    connectedAt: new Date(c.connectedAt).toISOString(),
    appliedVersion: c.appliedVersion,
    lastAckAt: c.lastAckAt === null ? null : new Date(c.lastAckAt).toISOString(),
  }));
  return { items, total: all.length };
}
