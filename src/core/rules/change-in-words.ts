/**
 * An audit entry's change in plain words, from its `before` and `after`: what
 * an on-call engineer would write in the incident log ("off for nationality
 * not in US", "removed: off for employer in acme", "off for everyone (killed)").
 */
import type { FlagConfig, Rule, Segment } from "@killswitch/sdk";
import { canonicalJson } from "../canonical-json.js";
import { fallthroughInWords, killInWords, ruleInWords, segmentInWords } from "./plain-words.js";

function asConfig(value: unknown): Partial<FlagConfig> | null {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Partial<FlagConfig>) : null;
}

const rulesOf = (config: Partial<FlagConfig> | null): Rule[] => (Array.isArray(config?.rules) ? config.rules : []);

/** The rule ids a config change added, in the order of the new config. */
export function addedRuleIds(before: unknown, after: unknown): string[] {
  const old = new Set(rulesOf(asConfig(before)).map((rule) => rule.id));
  return rulesOf(asConfig(after))
    .filter((rule) => !old.has(rule.id))
    .map((rule) => rule.id);
}

/** A flag config's change: each difference that matters to who is served what, joined by `; `. */
export function configChangeInWords(before: unknown, after: unknown): string {
  const was = asConfig(before);
  const is = asConfig(after);
  if (is === null) return "config removed";
  const parts: string[] = [];
  if (was?.enabled !== false && is.enabled === false) parts.push(killInWords(is.offVariant ?? "off"));
  if (was?.enabled === false && is.enabled !== false) parts.push("restored: enabled again (rules stay)");
  const oldRules = rulesOf(was);
  const newRules = rulesOf(is);
  const oldIds = new Set(oldRules.map((rule) => rule.id));
  const newIds = new Set(newRules.map((rule) => rule.id));
  for (const rule of newRules) if (!oldIds.has(rule.id)) parts.push(ruleInWords(rule));
  for (const rule of oldRules) if (!newIds.has(rule.id)) parts.push(`removed: ${ruleInWords(rule)}`);
  for (const rule of newRules) {
    const old = oldRules.find((candidate) => candidate.id === rule.id);
    if (old && canonicalJson({ when: old.when, serve: old.serve }) !== canonicalJson({ when: rule.when, serve: rule.serve })) {
      parts.push(`changed: ${ruleInWords(rule)} (was ${ruleInWords(old)})`);
    }
  }
  if (is.fallthrough && was?.fallthrough && canonicalJson(is.fallthrough) !== canonicalJson(was.fallthrough)) {
    parts.push(fallthroughInWords(is.fallthrough));
  }
  if (was !== null && was.failMode !== is.failMode && is.failMode !== undefined) parts.push(`fails ${is.failMode}`);
  return parts.length > 0 ? parts.join("; ") : "no change to what is served";
}

/** Any audited change of a flag, config or segment, in plain words. */
export function changeInWords(entry: { action: string; entity: string; key: string; before: unknown; after: unknown }): string {
  switch (entry.entity) {
    case "flag-config":
      return configChangeInWords(entry.before, entry.after);
    case "segment": {
      if (entry.after === null) return `segment ${entry.key} deleted`;
      const segment = entry.after as Pick<Segment, "include" | "exclude" | "rules">;
      const lines = Array.isArray(segment.rules) ? segmentInWords(segment) : [];
      return `segment ${entry.key}: ${lines.join("; ")}`;
    }
    case "flag":
      if (entry.before === null) return `flag ${entry.key} created`;
      if (entry.after === null) return `flag ${entry.key} deleted in every environment`;
      return `flag ${entry.key} definition changed`;
    default:
      return entry.action;
  }
}
