/**
 * Runs this directory's probe Worker (wrangler.toml here) under `wrangler dev`,
 * through the same starter as the service's Worker.
 */
import { fileURLToPath } from "node:url";
import { startWranglerDev, type WranglerDev } from "../support/wrangler-dev.js";

export type Probe = Pick<WranglerDev, "url" | "output" | "stop">;

const config = fileURLToPath(new URL("./wrangler.toml", import.meta.url));

export function startProbe(startTimeoutMs = 60_000): Promise<Probe> {
  return startWranglerDev({ config, startTimeoutMs });
}
