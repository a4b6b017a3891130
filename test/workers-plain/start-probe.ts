/**
 * Runs this directory's plain Worker (wrangler.toml here) under `wrangler dev`,
 * pointed at `url` with an sdk key and a polling interval.
 */
import { fileURLToPath } from "node:url";
import { startWranglerDev, type WranglerDev } from "../support/wrangler-dev.js";

export type Probe = Pick<WranglerDev, "url" | "output" | "stop">;

const config = fileURLToPath(new URL("./wrangler.toml", import.meta.url));

export function startPlainWorker(vars: { url: string; sdkKey: string; pollMs: number }, startTimeoutMs = 60_000): Promise<Probe> {
  return startWranglerDev({
    config,
    startTimeoutMs,
    vars: { KILLSWITCH_URL: vars.url, KILLSWITCH_SDK_KEY: vars.sdkKey, KILLSWITCH_POLL_MS: String(vars.pollMs) },
  });
}
