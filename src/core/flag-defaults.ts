/**
 * A new flag's config in every environment: enabled, serving `on` (or the first
 * variant); `off` (or the last variant) is what a kill serves, so a kill changes
 * what a two-variant flag serves.
 */
import type { FlagConfig, JsonValue } from "@killswitch/sdk";

export type DefaultConfig = Omit<FlagConfig, "version">;

export function defaultConfig(variants: Record<string, JsonValue>): DefaultConfig {
  const names = Object.keys(variants);
  const on = "on" in variants ? "on" : names[0];
  const off = "off" in variants ? "off" : names[names.length - 1];
  if (on === undefined || off === undefined) throw new Error("a flag has at least one variant");
  return { enabled: true, offVariant: off, rules: [], fallthrough: { variant: on }, failMode: "open" };
}
