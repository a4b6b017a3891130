/**
 * "What is blocked right now, and why": `flags` (every flag's state in one
 * environment), `blocks` (only what serves offVariant), `status FLAG` (one flag in
 * every environment, with how many instances run its current version).
 */
import type { Command } from "commander";
import type { BlockView, EnvironmentView, FlagState } from "../../core/schemas/responses.js";
import { seg } from "../api-client.js";
import { CliContext } from "../cli-context.js";
import { CliError } from "../cli-error.js";
import { EXIT } from "../exit-codes.js";
import { table, type Style, type Terminal } from "../terminal.js";
import { agoText, instantText } from "../time-text.js";
import { exampleHelp } from "./help-text.js";

const ENV_OPTION = ["--env <env>", "environment (default: the profile's, KILLSWITCH_ENV, or production)"] as const;

const STATE_STYLE: Record<FlagState["state"], Style> = { on: "green", blocked: "yellow", killed: "red" };

interface InstanceList {
  items: { instance: string; app: string; appliedVersion: number | null }[];
  total: number;
}

function stateText(term: Terminal, state: FlagState): string {
  const blocking = state.rules.filter((r) => r.blocks).length;
  const label = state.state === "blocked" ? `blocked (${blocking} rule${blocking === 1 ? "" : "s"})` : state.state;
  return term.style(STATE_STYLE[state.state], label);
}

function lastChangeText(state: FlagState): string {
  const change = state.lastChange;
  if (!change) return "–";
  return `${agoText(change.at)} by ${change.actor.name}${change.reason ? `: ${change.reason}` : ""}`;
}

export function registerFlagViews(program: Command): void {
  exampleHelp(program.command("flags").description("Every flag's state in an environment: on, blocked or killed, why and since when").option(...ENV_OPTION), [
    "killswitch flags --env production",
    "killswitch flags --json | jq '.[] | select(.state != \"on\") | .key'",
  ]).action(async (_flags: unknown, command: Command) => {
    const ctx = new CliContext(command);
    const states = await ctx.client.getAll<FlagState>(`/v1/envs/${seg(ctx.env)}/flags`);
    if (ctx.term.json) return ctx.term.printJson(states);
    const { term } = ctx;
    if (states.length === 0) return term.line(`No flags in ${ctx.env}.`);
    term.line(
      table(
        ["FLAG", "STATE", "DIRECTIVE", "VERSION", "LAST CHANGE"],
        states.map((s) => [s.key, stateText(term, s), s.directive ?? "–", String(s.version), lastChangeText(s)]),
        term,
      ),
    );
  });

  exampleHelp(program.command("blocks").description("Only what serves offVariant today (kills and blocking rules), with directive, since when and by whom").option(...ENV_OPTION), [
    "killswitch blocks",
  ]).action(async (_flags: unknown, command: Command) => {
    const ctx = new CliContext(command);
    const blocks = await ctx.client.getAll<BlockView>(`/v1/envs/${seg(ctx.env)}/blocks`);
    if (ctx.term.json) return ctx.term.printJson(blocks);
    const { term } = ctx;
    if (blocks.length === 0) return term.line(`Nothing is blocked in ${ctx.env}.`);
    term.line(
      table(
        ["FLAG", "RULE", "WHAT", "DIRECTIVE", "SINCE", "BY", "REASON"],
        blocks.map((b) => [b.flag, b.ruleId ?? term.style("red", "kill"), b.text, b.directive ?? "–", instantText(b.since), b.by?.name ?? "–", b.reason ?? "–"]),
        term,
      ),
    );
  });

  exampleHelp(program.command("status <flag>").description("One flag in every environment: its state, its rules in plain words, and the instances that applied it"), [
    "killswitch status model.fable-5",
  ]).action(async (flag: string, _flags: unknown, command: Command) => {
    const ctx = new CliContext(command);
    const { client, term } = ctx;
    const envs = await client.getAll<EnvironmentView>("/v1/envs");
    const rows = await Promise.all(
      envs.map(async (env) => {
        const [states, instances] = await Promise.all([
          client.getAll<FlagState>(`/v1/envs/${seg(env.key)}/flags`),
          client.get<InstanceList>(`/v1/envs/${seg(env.key)}/instances`),
        ]);
        const state = states.find((s) => s.key === flag);
        // An instance at the config's version or later serves this flag as it is now.
        const applied = state ? instances.items.filter((i) => i.appliedVersion !== null && i.appliedVersion >= state.version).length : 0;
        return { env: env.key, state, instances: { connected: instances.total, applied } };
      }),
    );
    if (rows.every((r) => !r.state)) throw new CliError(EXIT.refused, `No flag "${flag}" in any environment.`);
    if (term.json) return term.printJson({ flag, environments: rows });
    term.line(term.style("bold", flag));
    for (const { env, state, instances } of rows) {
      if (!state) continue;
      const reach =
        instances.connected === 0
          ? "no instance connected"
          : `${instances.applied}/${instances.connected} instances applied it`;
      term.line(`\n${term.style("bold", env)}  ${stateText(term, state)}  version ${state.version}  ${reach}`);
      if (state.directive) term.line(`  directive ${state.directive}`);
      if (!state.enabled) term.line(`  ${term.style("red", `${state.offVariant} for everyone (killed)`)}`);
      for (const rule of state.rules) {
        const words = rule.blocks ? term.style("yellow", rule.text) : rule.text;
        term.line(`  ${rule.id}  ${words}${rule.directive ? `  (directive ${rule.directive})` : ""}`);
        for (const segment of rule.segments) term.line(`      segment ${segment.key}: ${segment.text.join("; ")}`);
      }
      term.line(`  ${state.fallthrough}`);
      if (state.lastChange) term.line(term.style("dim", `  last change ${instantText(state.lastChange.at)} (${lastChangeText(state)})`));
    }
  });
}
