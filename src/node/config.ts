/**
 * The Node host's configuration, from the environment.
 */
import { MAX_STREAMS_PER_KEY_VAR, parseMaxStreamsPerKey } from "../core/stream/limits.js";
import { parseLogFormat, parseLogLevel, type LogFormat, type LogLevel } from "./telemetry/logger.js";
import { ALLOW_PRIVATE_VAR, parseAllowPrivate, parseRetryBaseMs, RETRY_BASE_VAR } from "../core/webhooks/config.js";

export interface NodeConfig {
  host: string;
  port: number;
  databaseUrl: string;
  rootToken: string | undefined;
  /** Open streams one sdk key may hold on this process (`KILLSWITCH_MAX_STREAMS_PER_KEY`). */
  maxStreamsPerKey: number;
  /** `KILLSWITCH_METRICS_TOKEN`: the bearer token `GET /metrics` takes; unset, the route answers 404. */
  metricsToken: string | undefined;
  /** `LOG_LEVEL` (default info). */
  logLevel: LogLevel;
  /** `LOG_FORMAT`: json, or pretty (the default when stdout is a terminal). */
  logFormat: LogFormat;
  /** `KILLSWITCH_WEBHOOK_ALLOW_PRIVATE=1`: webhooks may call loopback and private addresses (tests, on-premises). */
  webhookAllowPrivate: boolean;
  /** `KILLSWITCH_WEBHOOK_RETRY_BASE_MS`: the first retry's delay (default 5,000 ms; tests shorten it). */
  webhookRetryBaseMs: number | undefined;
}

export const DEFAULTS = {
  host: "127.0.0.1",
  port: 8787,
  databaseUrl: "file:data/killswitch.db",
} as const;

export function readConfig(env: Record<string, string | undefined> = process.env, stdoutIsTty = process.stdout.isTTY === true): NodeConfig {
  const portText = env.PORT?.trim() || String(DEFAULTS.port);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new Error(`PORT must be an integer from 0 to 65535, not "${env.PORT}".`);
  return {
    host: env.HOST?.trim() || DEFAULTS.host,
    port,
    databaseUrl: env.DATABASE_URL?.trim() || DEFAULTS.databaseUrl,
    rootToken: env.KILLSWITCH_ROOT_TOKEN || undefined,
    maxStreamsPerKey: parseMaxStreamsPerKey(env[MAX_STREAMS_PER_KEY_VAR]),
    metricsToken: parseMetricsToken(env.KILLSWITCH_METRICS_TOKEN),
    logLevel: parseLogLevel(env.LOG_LEVEL),
    logFormat: parseLogFormat(env.LOG_FORMAT, stdoutIsTty),
    webhookAllowPrivate: parseAllowPrivate(env[ALLOW_PRIVATE_VAR]),
    webhookRetryBaseMs: parseRetryBaseMs(env[RETRY_BASE_VAR]),
  };
}

/** Unset or empty: no metrics. A token with spaces could never be sent as one Bearer credential. */
function parseMetricsToken(value: string | undefined): string | undefined {
  if (value === undefined || value === "") return undefined;
  if (!/^\S+$/.test(value)) throw new Error("KILLSWITCH_METRICS_TOKEN must not contain spaces.");
  return value;
}
