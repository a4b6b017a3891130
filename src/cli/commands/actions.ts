/**
 * The writes an on-call engineer makes: `kill`, `restore`, `block`, `unblock`.
 * Each goes through change-flow.ts (preview, send, --wait).
 */
import type { Command } from "commander";
import type { AttributeView, FlagConfigView } from "../../core/schemas/responses.js";
import { closestName } from "../../core/attributes/suggest.js";
import { killInWords, ruleInWords } from "../../core/rules/plain-words.js";
import { seg, type ApiClient, type ApiRefusal } from "../api-client.js";
import { CliContext } from "../cli-context.js";
import { CliError } from "../cli-error.js";
import { runChange, writeOptions, type WaitFlags } from "../change-flow.js";
import { EXIT } from "../exit-codes.js";
import { WhereError } from "../where/where-error.js";
import { parseWhere, type ParsedWhere } from "../where/where-parser.js";
import { exampleHelp } from "./help-text.js";

const flagPath = (env: string, flag: string): string => `/v1/envs/${seg(env)}/flags/${seg(flag)}`;

/** The flag's config, for a preview; only fetched when someone will read the preview. */
async function configFor(ctx: CliContext, flag: string): Promise<FlagConfigView | undefined> {
  return ctx.term.interactive ? ctx.client.get<FlagConfigView>(flagPath(ctx.env, flag)) : undefined;
}

function describeWrite(flags: WaitFlags): string[] {
  return [`  reason:    ${flags.reason}`, ...(flags.directive ? [`  directive: ${flags.directive}`] : [])];
}

function body(flags: WaitFlags, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { reason: flags.reason, ...(flags.directive ? { directive: flags.directive } : {}), ...extra };
}

export function registerActions(program: Command): void {
  exampleHelp(
    writeOptions(program.command("kill <flag>").description("Switch a flag off for everyone in an environment (serves its offVariant)")),
    ['killswitch kill model.fable-5 --reason "Scope unclear: off for everyone" --directive EXPORT-2026-001 --wait'],
    { exitCodes: true },
  ).action(async (flag: string, flags: WaitFlags, command: Command) => {
    const ctx = new CliContext(command);
    const config = await configFor(ctx, flag);
    const off = config ? `${killInWords(config.offVariant)}${config.enabled ? "" : ", as it already is"}` : "off for everyone";
    await runChange(
      ctx,
      {
        done: "Killed",
        flag,
        env: ctx.env,
        method: "POST",
        path: `${flagPath(ctx.env, flag)}/kill`,
        body: body(flags),
        preview: [`Kill ${flag} in ${ctx.env}: ${off}`, ...describeWrite(flags)],
      },
      flags,
    );
  });

  exampleHelp(
    writeOptions(program.command("restore <flag>").description("Undo a kill: enabled again; blocks stay")),
    ['killswitch restore model.fable-5 --reason "Scope clarified: the block stays" --wait'],
    { exitCodes: true },
  ).action(async (flag: string, flags: WaitFlags, command: Command) => {
    const ctx = new CliContext(command);
    const config = await configFor(ctx, flag);
    const blocks = config?.rules.length ? `; ${config.rules.length} rule(s) stay` : "";
    await runChange(
      ctx,
      {
        done: "Restored",
        flag,
        env: ctx.env,
        method: "POST",
        path: `${flagPath(ctx.env, flag)}/restore`,
        body: body(flags),
        preview: [`Restore ${flag} in ${ctx.env}: enabled${blocks}`, ...describeWrite(flags)],
      },
      flags,
    );
  });

  exampleHelp(
    writeOptions(
      program
        .command("block <flag>")
        .description("Serve a flag's offVariant to matching contexts: inserted as its first rule")
        .option("--where <conditions>", "conditions joined by and, e.g. 'nationality notIn US,CA and employer in acme'")
        .option("--segment <keys...>", "block the members of these segments instead")
        .option("--description <text>", "the rule's description (default: the reason)"),
    ),
    [
      "killswitch block model.fable-5 --where 'nationality notIn US' --reason \"Export directive received 17:21\" --directive EXPORT-2026-001 --wait",
      'killswitch block model.mythos-5 --segment foreign-nationals --reason "Export directive" --yes',
    ],
    { exitCodes: true, where: true },
  ).action(async (flag: string, flags: WaitFlags & { where?: string; segment?: string[]; description?: string }, command: Command) => {
    const ctx = new CliContext(command);
    if ((flags.where === undefined) === (flags.segment === undefined)) {
      throw new CliError(EXIT.usage, "give one of --where 'CONDITIONS' and --segment KEY");
    }
    let parsed: ParsedWhere | undefined;
    let target: Record<string, unknown>;
    if (flags.where !== undefined) {
      parsed = await parseAgainstDeclared(ctx.client, flags.where);
      target = { when: parsed.conditions };
    } else {
      const segments = flags.segment!.flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean);
      target = { segment: segments.length === 1 ? segments[0] : segments };
    }
    const config = await configFor(ctx, flag);
    const when = parsed ? parsed.conditions : [{ segment: [target.segment as string[] | string].flat() }];
    const words = ruleInWords({ when, serve: { variant: config?.offVariant ?? "off" } });
    const preview = [
      `Block ${flag} in ${ctx.env}: ${words}`,
      ...(config ? [`  the first of ${config.rules.length + 1} rule(s), serving "${config.offVariant}"`] : []),
      ...describeWrite(flags),
      `  when:      ${JSON.stringify(target.when ?? { segment: target.segment })}`,
    ];
    await runChange(
      ctx,
      {
        done: "Blocked",
        flag,
        env: ctx.env,
        method: "POST",
        path: `${flagPath(ctx.env, flag)}/block`,
        body: body(flags, { ...target, ...(flags.description ? { description: flags.description } : {}) }),
        preview,
        explainRefusal: parsed ? (refusal) => pointIntoWhere(refusal, flags.where!, parsed!) : undefined,
      },
      flags,
    );
  });

  exampleHelp(
    writeOptions(program.command("unblock <flag> <ruleId>").description("Remove a rule (lifts a block); `killswitch status FLAG` lists rule ids")),
    ['killswitch unblock model.fable-5 r4uzws56n --reason "Directive withdrawn" --wait'],
    { exitCodes: true },
  ).action(async (flag: string, ruleId: string, flags: WaitFlags, command: Command) => {
    const ctx = new CliContext(command);
    const config = await configFor(ctx, flag);
    const rule = config?.rules.find((r) => r.id === ruleId);
    const what = rule ? ` (${ruleInWords(rule)})` : config ? " (no such rule now)" : "";
    await runChange(
      ctx,
      {
        done: "Unblocked",
        flag,
        env: ctx.env,
        method: "DELETE",
        path: `${flagPath(ctx.env, flag)}/rules/${seg(ruleId)}`,
        body: body(flags),
        preview: [`Unblock ${flag} in ${ctx.env}: remove rule ${ruleId}${what}`, ...describeWrite(flags)],
      },
      flags,
    );
  });
}

/** Every declared attribute (built-ins included), by name. */
async function declaredAttributes(client: ApiClient): Promise<Map<string, AttributeView>> {
  return new Map((await client.getAll<AttributeView>("/v1/attributes")).map((a) => [a.name, a]));
}

/**
 * Parses --where with the declared types, and refuses an attribute nobody declared
 * here, pointing at it, before anything is shown or sent.
 */
async function parseAgainstDeclared(client: ApiClient, where: string): Promise<ParsedWhere> {
  const syntax = parseWhere(where); // a syntax error needs no request
  const declared = await declaredAttributes(client);
  syntax.conditions.forEach((condition, i) => {
    if (declared.has(condition.attribute)) return;
    const span = syntax.spans[i]!.attribute;
    const near = closestName(condition.attribute, declared.keys());
    const hint = near ? `did you mean "${near}"?` : "declare it first (POST /v1/attributes)";
    throw new WhereError(`unknown attribute "${condition.attribute}": ${hint}`, where, span.offset, span.end - span.offset);
  });
  return parseWhere(where, { typeOf: (name) => declared.get(name)?.type });
}

/** A refusal of `when[i]…` said at the column of --where it is about. */
function pointIntoWhere(refusal: ApiRefusal, where: string, parsed: ParsedWhere): CliError | undefined {
  for (const e of refusal.problem.errors ?? []) {
    const match = /^when\[(\d+)\](?:\.(attribute|op|values)(?:\[(\d+)\])?)?/.exec(e.path);
    const span = match ? parsed.spans[Number(match[1])] : undefined;
    if (!match || !span) continue;
    const part =
      match[2] === "attribute" ? span.attribute : match[2] === "op" ? span.op : match[2] === "values" ? (span.values[Number(match[3] ?? 0)] ?? span) : span;
    const pointed = new WhereError(e.message, where, part.offset, part.end - part.offset).render();
    return new CliError(EXIT.refused, `${refusal.problem.title} (${refusal.problem.status}): ${pointed}`, { error: refusal.problem });
  }
  return undefined;
}
