import { auditListQuerySchema, auditVerifyQuerySchema } from "../../core/schemas/audit.js";
import type { AuditVerification } from "../../core/schemas/responses.js";
import type { AuthenticatedKey, Store } from "../../core/store/index.js";
import { derivedEventId, type QueuedEvent } from "../../core/webhooks/event.js";
import type { App, AppDeps } from "../app-env.js";
import { requireKey } from "../auth.js";
import { noQuery, readQuery } from "../request.js";

export function auditRoutes(app: App, deps: AppDeps): void {
  const { store } = deps;
  const defer = deps.defer ?? ((task: Promise<unknown>) => void task);
  const report = deps.onError ?? (() => {});
  app.get("/v1/audit", async (c) => {
    const key = requireKey(c, "viewer");
    return c.json(await store.listAudit(key.tenantId, readQuery(c, auditListQuerySchema)));
  });

  app.get("/v1/audit/head", async (c) => {
    const key = requireKey(c, "viewer");
    noQuery(c);
    return c.json(await store.auditHead(key.tenantId));
  });

  app.get("/v1/audit/verify", async (c) => {
    const key = requireKey(c, "viewer");
    const { seq, hash } = readQuery(c, auditVerifyQuerySchema);
    const checkpoint = seq !== undefined && hash !== undefined ? { seq, hash } : undefined;
    const result = await store.verifyAudit(key.tenantId, checkpoint);
    // Endpoints subscribed to audit.verify_failed hear of a break once per finding, off the request's path.
    if (!result.ok) defer(verifyFailedEvent(store, key, result).then((event) => store.webhooks.queue(key.tenantId, [event])).catch(report));
    return c.json(result);
  });
}

/** The event of a failed verification; the same finding gives the same id, so it is delivered once. */
async function verifyFailedEvent(store: Store, key: AuthenticatedKey, result: AuditVerification): Promise<QueuedEvent> {
  const head = await store.auditHead(key.tenantId);
  const finding = { entries: result.entries, breaks: result.breaks, brokenAt: result.brokenAt, missing: result.missing };
  return {
    id: await derivedEventId([key.tenantId, "audit.verify_failed", head.seq, head.hash, JSON.stringify(finding)]),
    type: "audit.verify_failed",
    data: {
      tenant: key.tenantId,
      env: null,
      version: null,
      flag: null,
      entity: null,
      key: null,
      action: "audit.verify",
      actor: { keyId: key.keyId, name: key.name, role: key.role },
      reason: null,
      directive: null,
      audit: { seq: head.seq, hash: head.hash },
      verification: finding,
    },
  };
}
