/**
 * Every write the CLI makes goes the same way: show it and ask (on a terminal,
 * unless --yes), send it, say what the service answered, and with --wait follow
 * it until every instance connected at commit has applied it.
 */
import { InvalidArgumentError, Option, type Command } from "commander";
import type { auditRefSchema } from "../core/schemas/responses.js";
import type { z } from "zod";
import { ApiRefusal } from "./api-client.js";
import { CliError } from "./cli-error.js";
import type { CliContext } from "./cli-context.js";
import { confirm } from "./confirm.js";
import { formatDuration, parseDuration } from "./durations.js";
import { EXIT } from "./exit-codes.js";
import { EventStream } from "./event-stream.js";
import { followChange, type Followed, type Receipt } from "./follow-change.js";
import { progressView } from "./progress-view.js";

type AuditRef = z.infer<typeof auditRefSchema>;

export interface WriteAnswer {
  version: number;
  ruleId?: string;
  audit: AuditRef;
}

export interface WaitFlags {
  reason: string;
  directive?: string;
  wait?: boolean;
  timeout: number;
  allowNone?: boolean;
  yes?: boolean;
}

export const DEFAULT_TIMEOUT = "30s";

function timeoutArgument(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError('expected a duration such as 30s, 2m or 500ms');
  return ms;
}

/** The options every write takes: why, under which directive, and how to wait. */
export function writeOptions(command: Command): Command {
  return command
    .requiredOption("--reason <text>", "why: kept in the audit log (required)")
    .option("--directive <ref>", "the directive this carries out, e.g. EXPORT-2026-001")
    .option("--env <env>", "environment (default: the profile's, KILLSWITCH_ENV, or production)")
    .option("-y, --yes", "do not ask before sending (a terminal asks; nothing else does)")
    .option("-w, --wait", "follow the change until every instance connected at commit has applied it")
    .addOption(new Option("--timeout <duration>", "with --wait: give up after this long (exit 3)").default(timeoutArgument(DEFAULT_TIMEOUT), DEFAULT_TIMEOUT).argParser(timeoutArgument))
    .option("--allow-none", "with --wait: exit 0 when no instance was connected (otherwise exit 4)");
}

export interface Change {
  /** Past tense for the result line: "Blocked". */
  done: string;
  flag: string;
  env: string;
  method: "POST" | "DELETE";
  path: string;
  body: Record<string, unknown>;
  /** What the change does, in plain words: shown before asking. */
  preview: string[];
  /** A refusal that can be said better (pointing into --where); undefined keeps the API's words. */
  explainRefusal?(refusal: ApiRefusal): CliError | undefined;
}

export async function runChange(ctx: CliContext, change: Change, flags: WaitFlags): Promise<void> {
  const { term } = ctx;
  if (term.interactive && !flags.yes) {
    term.note(change.preview.join("\n"));
    if (!(await confirm("Send it?"))) throw new CliError(EXIT.usage, "Nothing was sent.");
  }
  // Subscribed before the write, so that no progress of the change can come before it.
  const events = flags.wait ? await openEvents(ctx) : undefined;
  try {
    await send(ctx, change, flags, events);
  } finally {
    events?.close();
  }
}

/** The event stream when the service has one and the key may read it; otherwise --wait polls. */
async function openEvents(ctx: CliContext): Promise<EventStream | undefined> {
  try {
    return await EventStream.open(ctx.client);
  } catch {
    return undefined;
  }
}

async function send(ctx: CliContext, change: Change, flags: WaitFlags, events: EventStream | undefined): Promise<void> {
  const { term } = ctx;
  let answer: WriteAnswer;
  try {
    answer = (await ctx.client.request<WriteAnswer>(change.method, change.path, { json: change.body })).body;
  } catch (error) {
    if (error instanceof ApiRefusal) throw change.explainRefusal?.(error) ?? error;
    throw error;
  }
  const rule = answer.ruleId ? `, rule ${answer.ruleId}` : "";
  term.line(`${change.done} ${change.flag} in ${change.env}: version ${answer.version}${rule} (audit #${answer.audit.seq} ${answer.audit.hash})`);
  if (!flags.wait) {
    if (term.json) term.printJson(answer);
    return;
  }
  const view = progressView(term, change.env);
  let followed: Followed;
  try {
    followed = await followChange(ctx.client, change.env, answer.version, {
      timeoutMs: flags.timeout,
      events,
      onProgress: (progress, elapsedMs) => view.update(progress, elapsedMs),
    });
  } finally {
    view.stop();
  }
  if (term.json) {
    term.printJson({ ...answer, wait: { outcome: followed.outcome, elapsedMs: Math.round(followed.elapsedMs), via: followed.via, receipt: followed.receipt } });
  }
  settle(ctx, followed, answer.version, flags);
}

/** The result line of a wait, and its exit code. */
function settle(ctx: CliContext, followed: Followed, version: number, flags: WaitFlags): void {
  const { term } = ctx;
  const { receipt, elapsedMs } = followed;
  if (followed.outcome === "complete" && receipt) {
    // The receipt's p99 counts from the commit; the wait counts from the write's answer.
    const p99 = receipt.latencyMs.p99 === null ? "" : `, p99 ${Math.round(receipt.latencyMs.p99)} ms after the commit`;
    term.line(term.style("green", `Applied by ${receipt.acked}/${receipt.connected} instances${p99} (waited ${formatDuration(elapsedMs)}).`));
    return;
  }
  if (followed.outcome === "no-instances") {
    const message = `No instance was connected when version ${version} was committed: nothing was reached.`;
    if (flags.allowNone) {
      term.line(`${message} (--allow-none)`);
      return;
    }
    throw new CliError(EXIT.noInstances, `${message} Pass --allow-none if that is expected.`);
  }
  throw new CliError(EXIT.incomplete, incompleteMessage(version, receipt, elapsedMs));
}

const SHOWN_PENDING = 20;

function incompleteMessage(version: number, receipt: Receipt | null, elapsedMs: number): string {
  if (!receipt) return `Version ${version} has no receipt after ${formatDuration(elapsedMs)}: the service does not know it.`;
  const lines = [`Not complete after ${formatDuration(elapsedMs)}: version ${version} applied by ${receipt.acked}/${receipt.connected} instances. Pending:`];
  for (const p of receipt.pending.slice(0, SHOWN_PENDING)) {
    lines.push(`  ${p.instance}  app ${p.app}, at version ${p.appliedVersion ?? "none"}`);
  }
  if (receipt.pending.length > SHOWN_PENDING) lines.push(`  … and ${receipt.pending.length - SHOWN_PENDING} more (--json lists them all)`);
  return lines.join("\n");
}
