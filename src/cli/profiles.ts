/**
 * Saved connections: `$XDG_CONFIG_HOME/killswitch/config.json` (`~/.config` when
 * unset), readable by its owner only (0600, in a 0700 directory), because it holds
 * API keys. Written whole to a temporary file and renamed, so a crash never leaves
 * half a file.
 *
 *   { "defaultProfile": "default",
 *     "profiles": { "default": { "url": "https://…", "key": "ks_…", "env": "production" } } }
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { CliError } from "./cli-error.js";
import { EXIT } from "./exit-codes.js";

export interface Profile {
  url: string;
  key: string;
  /** The environment commands use when --env is not given. */
  env?: string;
}

export interface Config {
  defaultProfile?: string;
  profiles: Record<string, Profile>;
}

/** The XDG base directory rule: only an absolute XDG_CONFIG_HOME counts. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(homedir(), ".config");
  return join(base, "killswitch", "config.json");
}

const isProfile = (value: unknown): value is Profile =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as Profile).url === "string" &&
  typeof (value as Profile).key === "string" &&
  ((value as Profile).env === undefined || typeof (value as Profile).env === "string");

/** The saved profiles; none when the file does not exist yet. */
export function readConfig(path = configPath()): Config {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { profiles: {} };
    throw new CliError(EXIT.usage, `cannot read ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(EXIT.usage, `${path} is not valid JSON (${(error as Error).message}): fix it, or remove it and run killswitch login`);
  }
  const profiles = (parsed as Config | null)?.profiles;
  if (typeof profiles !== "object" || profiles === null || !Object.values(profiles).every(isProfile)) {
    throw new CliError(EXIT.usage, `${path}: expected {"profiles": {"<name>": {"url": "…", "key": "…"}}}; fix it, or remove it and run killswitch login`);
  }
  const defaultProfile = (parsed as Config).defaultProfile;
  return { ...(typeof defaultProfile === "string" ? { defaultProfile } : {}), profiles };
}

/** Writes the profiles, owner-only. */
export function writeConfig(config: Config, path = configPath()): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600); // the umask cannot widen it, but an existing file kept its mode
  renameSync(temporary, path);
}

/** True when the file can be read by others than its owner (it holds keys). */
export function isExposed(path = configPath()): boolean {
  try {
    return (statSync(path).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}
