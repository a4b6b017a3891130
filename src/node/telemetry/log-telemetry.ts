/**
 * What the Node host logs as it runs, through pino:
 * - one line per HTTP request (info; error, with the failure, for a 5xx),
 *   stream upgrades included: request id, method, route pattern, status,
 *   duration, tenant and key id. Never a header, a query string or a body,
 *   so never a key's secret;
 * - one line per committed change, and one per SDK connect and disconnect
 *   (debug).
 */
import type { Logger } from "pino";
import { telemetryOf, type Telemetry } from "../../core/telemetry.js";

export function logTelemetry(logger: Logger): Telemetry {
  return telemetryOf({
    requestServed({ requestId, method, route, status, durationMs, tenantId, keyId, error }) {
      const fields = { reqId: requestId, method, route, status, ms: Math.round(durationMs * 100) / 100, tenant: tenantId, keyId };
      if (error !== undefined || status >= 500) logger.error({ ...fields, err: error }, "request failed");
      else logger.info(fields, "request");
    },
    changeCommitted({ tenantId, action, entity, key, versions, audit, actor }) {
      if (!logger.isLevelEnabled("debug")) return;
      logger.debug({ tenant: tenantId, action, entity, key, versions, auditSeq: audit.seq, actorKeyId: actor.keyId, actorRole: actor.role }, "change committed");
    },
    sdkConnected({ tenantId, env, keyId, instance, app }) {
      logger.debug({ tenant: tenantId, env, keyId, instance, app }, "sdk connected");
    },
    sdkDisconnected({ tenantId, env, keyId, instance, app, code }) {
      logger.debug({ tenant: tenantId, env, keyId, instance, app, code }, "sdk disconnected");
    },
  });
}
