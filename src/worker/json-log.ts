/**
 * The Worker's log: one JSON object per line on `console.log` (`console.error`
 * for failures), which Workers Logs stores and indexes field by field. The same
 * lines as the Node host's pino (src/node/telemetry/log-telemetry.ts): one per
 * request, and at debug one per committed change and SDK connect and
 * disconnect. `LOG_LEVEL=debug` (a Worker variable) turns the debug lines on.
 */
import { telemetryOf, type Telemetry } from "../core/telemetry.js";

export type WorkerLogLevel = "debug" | "info" | "error";

/** `LOG_LEVEL`: debug writes everything; anything else (or unset) leaves out the debug lines. */
export function workerLogLevel(value: string | undefined): WorkerLogLevel {
  return value?.trim().toLowerCase() === "debug" ? "debug" : "info";
}

export function logLine(level: WorkerLogLevel, msg: string, fields: Record<string, unknown>): void {
  const line = JSON.stringify({ level, time: new Date().toISOString(), ...fields, msg });
  if (level === "error") console.error(line);
  else console.log(line);
}

/** An error as a log field: its kind, message and stack, never the request it came with. */
export function errorField(error: unknown): Record<string, unknown> {
  if (error instanceof Error) return { type: error.name, message: error.message, stack: error.stack };
  return { message: String(error) };
}

export function workerLogTelemetry(level: WorkerLogLevel): Telemetry {
  const debug = level === "debug";
  return telemetryOf({
    requestServed({ requestId, method, route, status, durationMs, tenantId, keyId, error }) {
      const fields = { reqId: requestId, method, route, status, ms: Math.round(durationMs * 100) / 100, tenant: tenantId, keyId };
      if (error !== undefined || status >= 500) logLine("error", "request failed", { ...fields, err: error === undefined ? undefined : errorField(error) });
      else logLine("info", "request", fields);
    },
    ...(debug
      ? {
          changeCommitted({ tenantId, action, entity, key, versions, audit, actor }) {
            logLine("debug", "change committed", { tenant: tenantId, action, entity, key, versions, auditSeq: audit.seq, actorKeyId: actor.keyId, actorRole: actor.role });
          },
          sdkConnected({ tenantId, env, keyId, instance, app }) {
            logLine("debug", "sdk connected", { tenant: tenantId, env, keyId, instance, app });
          },
          sdkDisconnected({ tenantId, env, keyId, instance, app, code }) {
            logLine("debug", "sdk disconnected", { tenant: tenantId, env, keyId, instance, app, code });
          },
        }
      : {}),
  });
}
