/**
 * `directive new | ls | show | lift | report`: the orders an operator carries
 * out, as records (`/v1/directives`). Writes that carry `--directive REF` link to
 * the record with that ref; `report` is the evidence, rebuilt by the service from
 * its database (JSON, Markdown or a printable HTML page).
 */
import { writeFileSync } from "node:fs";
import { InvalidArgumentError, Option, type Command } from "commander";
import type { AuditEntryView, BlockView, DirectiveView, EnvironmentView } from "../../core/schemas/responses.js";
import { seg } from "../api-client.js";
import { CliContext } from "../cli-context.js";
import { CliError } from "../cli-error.js";
import { confirm } from "../confirm.js";
import { parseDuration } from "../durations.js";
import { EXIT } from "../exit-codes.js";
import { table, type Style } from "../terminal.js";
import { instantText } from "../time-text.js";
import { exampleHelp } from "./help-text.js";

const STATUS_STYLE: Record<DirectiveView["status"], Style> = { open: "cyan", "in-effect": "yellow", lifted: "dim", unrecorded: "red" };

/** `now`, a duration from now (`2h`), or an ISO 8601 instant. */
function futureArgument(value: string): string {
  if (value === "now") return new Date().toISOString();
  const ms = parseDuration(value);
  if (ms !== undefined) return new Date(Date.now() + ms).toISOString();
  if (/^\d{4}-\d\d-\d\dT/.test(value) && !Number.isNaN(Date.parse(value))) return value;
  throw new InvalidArgumentError("expected now, a duration from now (2h, 3d) or an ISO 8601 instant with a time zone (2026-11-27T17:21:00Z)");
}

/** `now`, a duration ago (`10m`), or an ISO 8601 instant. */
function pastArgument(value: string): string {
  if (value === "now") return new Date().toISOString();
  const ms = parseDuration(value);
  if (ms !== undefined) return new Date(Date.now() - ms).toISOString();
  return futureArgument(value);
}

const ACCEPT = { json: "application/json", md: "text/markdown", html: "text/html" } as const;

export function registerDirective(program: Command): void {
  const directive = program
    .command("directive")
    .description("Directives as records: new, ls, show, lift, report")
    .addHelpText("after", `\nExample:\n  $ killswitch directive new EXPORT-2026-001 --title "No foreign nationals on Fable 5 or Mythos 5" --issuer "Legal" --received-at 17:21`);

  exampleHelp(
    directive
      .command("new <ref>")
      .description("Record a directive; writes that carry --directive REF link to it")
      .requiredOption("--title <text>", "what it orders, in a line")
      .option("--issuer <name>", "who issued it")
      .option("--received-at <when>", "when it was received: now, a duration ago (15m) or an ISO 8601 instant", pastArgument, "now")
      .option("--deadline <when>", "when it must be in effect: a duration from now (2h) or an ISO 8601 instant", futureArgument)
      .option("--summary <text>", "what it says, at more length")
      .option("--reason <text>", "why it is recorded (the audit log keeps it)"),
    ['killswitch directive new EXPORT-2026-001 --title "No foreign nationals on Fable 5 or Mythos 5" --issuer Legal --received-at 20m --deadline 1h'],
  ).action(async (ref: string, flags: { title: string; issuer?: string; receivedAt: string; deadline?: string; summary?: string; reason?: string }, command: Command) => {
    const ctx = new CliContext(command);
    const receivedAt = flags.receivedAt === "now" ? new Date().toISOString() : flags.receivedAt;
    const created = await ctx.client.post<DirectiveView>("/v1/directives", {
      ref,
      title: flags.title,
      receivedAt,
      ...(flags.issuer ? { issuer: flags.issuer } : {}),
      ...(flags.deadline ? { deadline: flags.deadline } : {}),
      ...(flags.summary ? { summary: flags.summary } : {}),
      ...(flags.reason ? { reason: flags.reason } : {}),
    });
    if (ctx.term.json) return ctx.term.printJson(created);
    ctx.term.line(`Recorded directive ${created.ref} (${created.status}). Carry it out with --directive ${created.ref}.`);
  });

  exampleHelp(
    directive
      .command("ls")
      .description("Directives: recorded ones, and refs that changes carry without a record (unrecorded)")
      .addOption(new Option("--status <status>", "only these").choices(["open", "in-effect", "lifted", "unrecorded"])),
    ["killswitch directive ls --status in-effect"],
  ).action(async (flags: { status?: string }, command: Command) => {
    const ctx = new CliContext(command);
    const { term } = ctx;
    const list = await ctx.client.getAll<DirectiveView>("/v1/directives", { status: flags.status });
    if (term.json) return term.printJson(list);
    if (list.length === 0) return term.line("No directives.");
    term.line(
      table(
        ["REF", "STATUS", "TITLE", "CHANGES", "IN EFFECT SINCE", "DEADLINE"],
        list.map((d) => [d.ref, term.style(STATUS_STYLE[d.status], d.status), d.title ?? "–", String(d.changes), instantText(d.inEffectSince), instantText(d.deadline)]),
        term,
      ),
    );
  });

  exampleHelp(directive.command("show <ref>").description("A directive, the blocks that carry it now, and its changes"), ["killswitch directive show EXPORT-2026-001"]).action(
    async (ref: string, _flags: unknown, command: Command) => {
      const ctx = new CliContext(command);
      const { client, term } = ctx;
      const [record, changes, blocks] = await Promise.all([
        client.get<DirectiveView>(`/v1/directives/${seg(ref)}`),
        client.get<{ items: AuditEntryView[] }>("/v1/audit", { query: { directive: ref, limit: 100 } }),
        blocksCarrying(ctx, ref),
      ]);
      if (term.json) return term.printJson({ directive: record, blocks, changes: changes.items });
      term.line(`${term.style("bold", record.ref)}  ${term.style(STATUS_STYLE[record.status], record.status)}${record.title ? `  ${record.title}` : ""}`);
      const facts: [string, string | null][] = [
        ["issuer", record.issuer],
        ["received", record.receivedAt && instantText(record.receivedAt)],
        ["deadline", record.deadline && instantText(record.deadline)],
        ["in effect since", record.inEffectSince && instantText(record.inEffectSince)],
        ["lifted", record.lifted && `${instantText(record.lifted.at)} by ${record.lifted.by}: ${record.lifted.reason}`],
        ["summary", record.summary],
      ];
      for (const [name, value] of facts) if (value) term.line(`  ${name}: ${value}`);
      term.line(`\n${term.style("bold", "In effect now")}`);
      if (blocks.length === 0) term.line("  nothing carries it now");
      else term.line(table(["ENV", "FLAG", "RULE", "WHAT", "SINCE"], blocks.map((b) => [b.env, b.flag, b.ruleId ?? "kill", b.text, instantText(b.since)]), term));
      const entries = [...changes.items].reverse();
      term.line(`\n${term.style("bold", `Audit entries that carry it (${entries.length})`)}`);
      if (entries.length === 0) term.line("  none");
      else term.line(table(["SEQ", "AT", "ACTOR", "ACTION", "SUBJECT", "ENV", "REASON"], entries.map((e) => [String(e.seq), instantText(e.at), e.actor.name, e.action, e.key, e.env ?? "–", e.reason ?? "–"]), term));
    },
  );

  exampleHelp(
    directive
      .command("lift <ref>")
      .description("Mark a directive lifted; the rules it put in place stay until you unblock them (listed)")
      .requiredOption("--reason <text>", "why (the audit log keeps it)")
      .option("-y, --yes", "do not ask before sending"),
    ['killswitch directive lift EXPORT-2026-001 --reason "Withdrawn by Legal, 09:12"'],
  ).action(async (ref: string, flags: { reason: string; yes?: boolean }, command: Command) => {
    const ctx = new CliContext(command);
    const { term } = ctx;
    if (term.interactive && !flags.yes && !(await confirm(`Mark directive ${ref} lifted?`))) throw new CliError(EXIT.usage, "Nothing was sent.");
    const lifted = await ctx.client.post<DirectiveView>(`/v1/directives/${seg(ref)}/lift`, { reason: flags.reason });
    const remaining = await blocksCarrying(ctx, ref);
    if (term.json) return term.printJson({ directive: lifted, stillInEffect: remaining });
    term.line(`Directive ${ref} is lifted.`);
    if (remaining.length > 0) {
      term.line(`${remaining.length} block(s) under it still hold; remove each with:`);
      for (const b of remaining) {
        term.line(
          b.ruleId
            ? `  killswitch unblock ${b.flag} ${b.ruleId} --env ${b.env} --reason "Directive ${ref} lifted" --wait`
            : `  killswitch restore ${b.flag} --env ${b.env} --reason "Directive ${ref} lifted" --wait`,
        );
      }
    }
  });

  exampleHelp(
    directive
      .command("report <ref>")
      .description("The directive's evidence: each change, its receipt, what still holds, and the audit chain's verification")
      .addOption(new Option("--format <format>", "json, md (Markdown) or html (a printable page)").choices(["json", "md", "html"]).default("md"))
      .option("-o, --output <file>", "write it to a file instead of stdout"),
    ["killswitch directive report EXPORT-2026-001 --format html -o export-2026-001.html"],
  ).action(async (ref: string, flags: { format: keyof typeof ACCEPT; output?: string }, command: Command) => {
    const ctx = new CliContext(command);
    const format = ctx.term.json ? "json" : flags.format;
    const answer = await ctx.client.request<unknown>("GET", `/v1/directives/${seg(ref)}/report`, { accept: ACCEPT[format] });
    const text = typeof answer.body === "string" ? answer.body : `${JSON.stringify(answer.body, null, 2)}\n`;
    if (!flags.output) {
      process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
      return;
    }
    try {
      writeFileSync(flags.output, text);
    } catch (error) {
      throw new CliError(EXIT.usage, `cannot write ${flags.output}: ${(error as Error).message}`);
    }
    if (ctx.term.json) return;
    ctx.term.note(`Wrote the ${format} report of ${ref} to ${flags.output}.`);
  });
}

/** Every kill and blocking rule that carries the directive, in every environment. */
async function blocksCarrying(ctx: CliContext, ref: string): Promise<(BlockView & { env: string })[]> {
  const envs = await ctx.client.getAll<EnvironmentView>("/v1/envs");
  const perEnv = await Promise.all(
    envs.map(async (env) => (await ctx.client.getAll<BlockView>(`/v1/envs/${seg(env.key)}/blocks`)).filter((b) => b.directive === ref).map((b) => ({ ...b, env: env.key }))),
  );
  return perEnv.flat();
}
