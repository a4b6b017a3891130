/**
 * Which service, key and environment a command uses. Each comes from the first
 * that gives it: the flag (--url, --key, --env), the profile named by --profile,
 * the environment (KILLSWITCH_URL, KILLSWITCH_KEY, KILLSWITCH_ENV), then the
 * profile named by KILLSWITCH_PROFILE or the default one (`killswitch login`).
 */
import { ApiClient } from "./api-client.js";
import { CliError } from "./cli-error.js";
import { EXIT } from "./exit-codes.js";
import { configPath, readConfig, type Profile } from "./profiles.js";

export interface ConnectionFlags {
  url?: string;
  key?: string;
  profile?: string;
  env?: string;
}

export interface Connection {
  url: string;
  key: string;
  env: string;
  /** The profile used, if any. */
  profile?: string;
}

export const DEFAULT_ENV = "production";

export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Connection {
  const config = readConfig(configPath(env));
  const named = flags.profile ?? env.KILLSWITCH_PROFILE;
  let profile: Profile | undefined;
  let profileName: string | undefined;
  if (named !== undefined) {
    profile = config.profiles[named];
    if (!profile) {
      const known = Object.keys(config.profiles);
      throw new CliError(
        EXIT.usage,
        `no profile "${named}" in ${configPath(env)}${known.length ? ` (profiles: ${known.join(", ")})` : ""}: run killswitch login --profile ${named}`,
      );
    }
    profileName = named;
  } else {
    profileName = config.defaultProfile;
    profile = profileName === undefined ? undefined : config.profiles[profileName];
  }
  // An explicit --profile outranks the environment; a default profile does not.
  const explicit = flags.profile !== undefined ? profile : undefined;
  const fallback = flags.profile !== undefined ? undefined : profile;
  const url = flags.url ?? explicit?.url ?? env.KILLSWITCH_URL ?? fallback?.url;
  const key = flags.key ?? explicit?.key ?? env.KILLSWITCH_KEY ?? fallback?.key;
  const environment = flags.env ?? explicit?.env ?? env.KILLSWITCH_ENV ?? fallback?.env ?? DEFAULT_ENV;
  if (!url) throw new CliError(EXIT.usage, "no service URL: give --url, set KILLSWITCH_URL, or run killswitch login");
  if (!key) throw new CliError(EXIT.usage, "no API key: give --key, set KILLSWITCH_KEY, or run killswitch login");
  checkUrl(url);
  return { url, key, env: environment, ...(profile && profileName !== undefined ? { profile: profileName } : {}) };
}

export function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(EXIT.usage, `"${url}" is not a URL: expected one such as https://killswitch.example.com`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new CliError(EXIT.usage, `"${url}" is not an http(s) URL`);
  }
}

export const clientFor = (connection: Connection): ApiClient => new ApiClient(connection.url, connection.key);
