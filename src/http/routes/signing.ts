/**
 * An environment's signing keys and epoch (docs/signing.md): the public keys SDKs
 * pin, their rotation, and a new epoch after a restore. Rotation and epoch are
 * admin writes, audited, with a required reason.
 */
import { epochResetSchema, signingKeyRotateSchema } from "../../core/schemas/signing.js";
import type { App, AppDeps } from "../app-env.js";
import { actorOf, requireKey } from "../auth.js";
import { noQuery, pathKey, readBody } from "../request.js";
import { sdkOrViewer } from "./snapshots.js";

const SIGNING_KEY = "/v1/envs/:env/signing-key";

export function signingRoutes(app: App, { store }: AppDeps): void {
  // Public halves only; an sdk key may read its own environment's, as it reads its snapshot.
  app.get(SIGNING_KEY, async (c) => {
    const env = pathKey(c, "env", "environment");
    const tenantId = sdkOrViewer(c, env);
    const keys = await store.getSigningKeys(tenantId, env);
    noQuery(c);
    return c.json(keys);
  });

  app.post(`${SIGNING_KEY}/rotate`, async (c) => {
    const key = requireKey(c, "admin");
    const env = pathKey(c, "env", "environment");
    await store.getEnvironment(key.tenantId, env);
    noQuery(c);
    const input = await readBody(c, signingKeyRotateSchema);
    return c.json(await store.rotateSigningKey(key.tenantId, actorOf(c), env, input));
  });

  app.post("/v1/envs/:env/epoch", async (c) => {
    const key = requireKey(c, "admin");
    const env = pathKey(c, "env", "environment");
    await store.getEnvironment(key.tenantId, env);
    noQuery(c);
    const input = await readBody(c, epochResetSchema);
    return c.json(await store.resetEpoch(key.tenantId, actorOf(c), env, input));
  });
}
