import { auditListQuerySchema, auditVerifyQuerySchema } from "../../core/schemas/audit.js";
import type { App, AppDeps } from "../app-env.js";
import { requireKey } from "../auth.js";
import { noQuery, readQuery } from "../request.js";

export function auditRoutes(app: App, { store }: AppDeps): void {
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
    return c.json(await store.verifyAudit(key.tenantId, checkpoint));
  });
}
