/**
 * The webhook settings both hosts read from their environment.
 */
export const ALLOW_PRIVATE_VAR = "KILLSWITCH_WEBHOOK_ALLOW_PRIVATE";
export const RETRY_BASE_VAR = "KILLSWITCH_WEBHOOK_RETRY_BASE_MS";

/** `1` or `true` allows loopback and private addresses; anything else (or nothing) refuses them. */
export function parseAllowPrivate(value: string | undefined): boolean {
  const text = value?.trim().toLowerCase() ?? "";
  if (text === "" || text === "0" || text === "false") return false;
  if (text === "1" || text === "true") return true;
  throw new Error(`${ALLOW_PRIVATE_VAR} must be 1 or 0, not "${value}".`);
}

/** The first retry's delay in ms (100 to 3,600,000), or undefined for the default. */
export function parseRetryBaseMs(value: string | undefined): number | undefined {
  const text = value?.trim() ?? "";
  if (text === "") return undefined;
  const ms = Number(text);
  if (!/^\d+$/.test(text) || ms < 100 || ms > 3_600_000) throw new Error(`${RETRY_BASE_VAR} must be an integer from 100 to 3600000 (ms), not "${value}".`);
  return ms;
}
