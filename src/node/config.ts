/**
 * The Node host's configuration, from the environment.
 */
import { MAX_STREAMS_PER_KEY_VAR, parseMaxStreamsPerKey } from "../core/stream/limits.js";

export interface NodeConfig {
  host: string;
  port: number;
  databaseUrl: string;
  rootToken: string | undefined;
  /** Open streams one sdk key may hold on this process (`KILLSWITCH_MAX_STREAMS_PER_KEY`). */
  maxStreamsPerKey: number;
}

export const DEFAULTS = {
  host: "127.0.0.1",
  port: 8787,
  databaseUrl: "file:data/killswitch.db",
} as const;

export function readConfig(env: Record<string, string | undefined> = process.env): NodeConfig {
  const portText = env.PORT?.trim() || String(DEFAULTS.port);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new Error(`PORT must be an integer from 0 to 65535, not "${env.PORT}".`);
  return {
    host: env.HOST?.trim() || DEFAULTS.host,
    port,
    databaseUrl: env.DATABASE_URL?.trim() || DEFAULTS.databaseUrl,
    rootToken: env.KILLSWITCH_ROOT_TOKEN || undefined,
    maxStreamsPerKey: parseMaxStreamsPerKey(env[MAX_STREAMS_PER_KEY_VAR]),
  };
}
