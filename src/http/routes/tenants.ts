import { forbidden } from "../../core/problem.js";
import { tenantCreateSchema } from "../../core/schemas/admin.js";
import type { App, AppDeps } from "../app-env.js";
import { actorOf } from "../auth.js";
import { noQuery, readBody } from "../request.js";

export function tenantRoutes(app: App, { store }: AppDeps): void {
  app.post("/v1/tenants", async (c) => {
    if (c.get("principal").kind !== "root") throw forbidden("Only the root token (KILLSWITCH_ROOT_TOKEN) creates tenants.");
    noQuery(c);
    const input = await readBody(c, tenantCreateSchema);
    const { tenant, adminKey } = await store.createTenant(input, actorOf(c));
    return c.json({ tenant: { id: tenant.id, name: tenant.name }, adminKey }, 201);
  });
}
