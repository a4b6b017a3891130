/**
 * `explain FLAG --context JSON`: "why is this user blocked?" — what the flag
 * serves to a context, and rule by rule whether it matched and which condition
 * did not hold (`POST /v1/envs/{env}/evaluate`).
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import type { EvaluateResponse } from "../../core/schemas/evaluate.js";
import type { FlagState } from "../../core/schemas/responses.js";
import { seg } from "../api-client.js";
import { CliContext } from "../cli-context.js";
import { CliError } from "../cli-error.js";
import { EXIT } from "../exit-codes.js";
import { exampleHelp } from "./help-text.js";

/** The context: JSON, or @FILE holding JSON. */
function readContext(text: string): Record<string, unknown> {
  let source = text;
  if (text.startsWith("@")) {
    try {
      source = readFileSync(text.slice(1), "utf8");
    } catch (error) {
      throw new CliError(EXIT.usage, `--context ${text}: ${(error as Error).message}`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch (error) {
    throw new CliError(EXIT.usage, `--context is not JSON (${(error as Error).message}): give an object such as '{"key":"u-1","nationality":"FR"}'`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new CliError(EXIT.usage, `--context must be a JSON object such as '{"key":"u-1","nationality":"FR"}'`);
  }
  return parsed as Record<string, unknown>;
}

export function registerExplain(program: Command): void {
  exampleHelp(
    program
      .command("explain <flag>")
      .description("What a flag serves to a context, and why, rule by rule")
      .requiredOption("--context <json>", "the context as JSON, or @FILE")
      .option("--env <env>", "environment (default: the profile's, KILLSWITCH_ENV, or production)"),
    [`killswitch explain model.fable-5 --context '{"key":"u-123","nationality":"FR"}'`],
  ).action(async (flag: string, flags: { context: string }, command: Command) => {
    const ctx = new CliContext(command);
    const context = readContext(flags.context);
    const { client, term } = ctx;
    const [answer, states] = await Promise.all([
      client.post<EvaluateResponse>(`/v1/envs/${seg(ctx.env)}/evaluate`, { context, flags: [flag] }),
      client.getAll<FlagState>(`/v1/envs/${seg(ctx.env)}/flags`),
    ]);
    const explained = answer.flags[0];
    if (!explained) throw new CliError(EXIT.refused, `No flag "${flag}" in ${ctx.env}.`);
    if (term.json) return term.printJson(answer);
    const { result } = explained;
    if (result.errorCode) throw new CliError(EXIT.refused, `${flag}: ${result.errorCode}${result.errorMessage ? `: ${result.errorMessage}` : ""}`);
    const words = new Map((states.find((s) => s.key === flag)?.rules ?? []).map((r) => [r.id, r.text]));
    const variant = result.variant ? ` (variant ${result.variant})` : "";
    term.line(`${term.style("bold", flag)} serves ${term.style("bold", JSON.stringify(result.value))}${variant} in ${ctx.env} at version ${answer.version}: ${result.reason}`);
    if (!explained.enabled) term.line(term.style("red", "  killed: offVariant for everyone, rules not evaluated"));
    for (const rule of explained.rules) {
      const mark = rule.matched ? term.style(rule.id === result.ruleId ? "yellow" : "green", "✓") : term.style("dim", "✗");
      const served = rule.id === result.ruleId ? term.style("bold", "  ← serves") : "";
      term.line(`  ${mark} ${rule.id}  ${words.get(rule.id) ?? ""}${served}`);
      if (rule.failedCondition) term.line(term.style("dim", `      ${rule.failedCondition.detail}`));
      for (const [segment, membership] of Object.entries(rule.segments ?? {})) term.line(term.style("dim", `      segment ${segment}: ${membership}`));
    }
    if (explained.fallthrough) term.line("  no rule matched: the fallthrough serves");
  });
}
