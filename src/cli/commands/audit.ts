/**
 * `audit`: the audit log, filtered by the service (flag, env, actor, directive,
 * action, since, until), oldest of the selection first so that `--follow` appends
 * below; `audit verify`: the hash chain, optionally against a checkpoint kept
 * outside the service.
 *
 * `--follow` reads the log again for entries after the last one shown whenever
 * the operator event stream (`GET /v1/events`) announces a change or a
 * directive, and every 5 s for what no event announces (keys, attributes,
 * environments); every second when there is no event stream.
 */
import { InvalidArgumentError, type Command } from "commander";
import type { AuditEntryView, AuditVerification } from "../../core/schemas/responses.js";
import { CliContext } from "../cli-context.js";
import { CliError } from "../cli-error.js";
import { parseDuration } from "../durations.js";
import { EventStream, type OperatorEvent } from "../event-stream.js";
import { EXIT } from "../exit-codes.js";
import { columnWidths, table, tableRow, type Terminal } from "../terminal.js";
import { instantText } from "../time-text.js";
import { exampleHelp } from "./help-text.js";

interface AuditFlags {
  flag?: string;
  env?: string;
  actor?: string;
  directive?: string;
  action?: string;
  since?: string;
  until?: string;
  limit: number;
  follow?: boolean;
}

/** `1h` (that long ago) or an ISO 8601 instant, as the instant the API takes. */
function instantArgument(value: string): string {
  const ms = parseDuration(value);
  if (ms !== undefined) return new Date(Date.now() - ms).toISOString();
  if (/^\d{4}-\d\d-\d\dT/.test(value) && !Number.isNaN(Date.parse(value))) return value;
  throw new InvalidArgumentError("expected a duration ago (30m, 1h, 7d) or an ISO 8601 instant (2026-11-27T17:21:00Z)");
}

function limitArgument(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 500) throw new InvalidArgumentError("expected an integer from 1 to 500");
  return n;
}

const FOLLOW_POLL_MS = 1_000;
const FOLLOW_WITH_EVENTS_MS = 5_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function rows(entries: AuditEntryView[]): string[][] {
  return entries.map((e) => [
    String(e.seq),
    instantText(e.at),
    e.actor.name,
    e.action,
    e.key,
    e.env ?? "–",
    e.directive ?? "–",
    e.reason ?? "–",
  ]);
}

const HEADER = ["SEQ", "AT", "ACTOR", "ACTION", "SUBJECT", "ENV", "DIRECTIVE", "REASON"];

/** Prints entries: the first batch as a table, later ones (--follow) as rows in its columns. */
function print(term: Terminal, entries: AuditEntryView[], widths?: number[]): number[] {
  if (term.json) {
    for (const e of entries) process.stdout.write(`${JSON.stringify(e)}\n`);
    return [];
  }
  if (widths) {
    for (const row of rows(entries)) term.line(tableRow(row, widths));
    return widths;
  }
  term.line(table(HEADER, rows(entries), term));
  return columnWidths(HEADER, rows(entries));
}

export function registerAudit(program: Command): void {
  const audit = exampleHelp(
    program
      .command("audit")
      .description("The audit log: who changed what, when and why (oldest of the selection first)")
      .option("--flag <key>", "entries about this flag")
      .option("--env <env>", "entries about this environment")
      .option("--actor <key>", "entries by this key (its id or name)")
      .option("--directive <ref>", "entries carrying this directive")
      .option("--action <action>", "one action, e.g. flag.block, flag.kill, directive.lift")
      .option("--since <when>", "entries since: a duration ago (1h, 7d) or an ISO 8601 instant", instantArgument)
      .option("--until <when>", "entries before: a duration ago or an ISO 8601 instant", instantArgument)
      .option("--limit <n>", "the newest n entries of the selection (1–500)", limitArgument, 20)
      .option("-f, --follow", "keep printing new entries as they are written (JSON lines with --json)"),
    ["killswitch audit --flag model.fable-5 --since 1h", "killswitch audit --directive EXPORT-2026-001 --follow"],
  ).action(async (flags: AuditFlags, command: Command) => {
    const ctx = new CliContext(command);
    const { client, term } = ctx;
    const query = { flag: flags.flag, env: flags.env, actor: flags.actor, directive: flags.directive, action: flags.action, since: flags.since, until: flags.until };
    const page = await client.get<{ items: AuditEntryView[] }>("/v1/audit", { query: { ...query, limit: flags.limit } });
    const entries = [...page.items].reverse();
    if (!flags.follow) {
      if (term.json) return term.printJson(entries);
      if (entries.length === 0) return term.line("No audit entries match.");
      print(term, entries);
      return;
    }
    const widths = print(term, entries);
    let last = entries.at(-1)?.seq ?? 0;
    let events = await EventStream.open(client).catch(() => undefined);
    for (;;) {
      if (events) {
        const timer = new AbortController();
        const timeout = setTimeout(() => timer.abort(), FOLLOW_WITH_EVENTS_MS);
        let event: OperatorEvent | null;
        // Receipt and instance events add nothing to the log: wait past them.
        do event = await events.next(timer.signal);
        while (event && event.type !== "change" && event.type !== "directive");
        clearTimeout(timeout);
        if (event === null && !timer.signal.aborted) {
          events.close();
          events = undefined; // the stream ended: read the log every second instead
        }
      } else {
        await sleep(FOLLOW_POLL_MS);
      }
      const fresh: AuditEntryView[] = [];
      let cursor: string | undefined;
      // Newest first: read back until the last entry shown.
      read: do {
        const next = await client.get<{ items: AuditEntryView[]; nextCursor?: string }>("/v1/audit", { query: { ...query, limit: 100, cursor } });
        for (const e of next.items) {
          if (e.seq <= last) break read;
          fresh.push(e);
        }
        cursor = next.nextCursor;
      } while (cursor);
      if (fresh.length === 0) continue;
      fresh.reverse();
      print(term, fresh, widths);
      last = fresh.at(-1)!.seq;
    }
  });

  exampleHelp(
    audit
      .command("verify")
      .description("Recompute the audit hash chain; with --seq and --hash, also check it still holds that checkpoint")
      .option("--seq <n>", "a checkpoint's seq (a write's audit.seq, or audit head)")
      .option("--hash <hash>", "that checkpoint's hash"),
    ["killswitch audit verify", "killswitch audit verify --seq 7 --hash 97cf6fb0…"],
    { exitCodes: true },
  ).action(async (flags: { seq?: string; hash?: string }, command: Command) => {
    const ctx = new CliContext(command);
    if ((flags.seq === undefined) !== (flags.hash === undefined)) throw new CliError(EXIT.usage, "give both --seq and --hash of the checkpoint, or neither");
    const result = await ctx.client.get<AuditVerification>("/v1/audit/verify", { query: { seq: flags.seq, hash: flags.hash } });
    const { term } = ctx;
    if (term.json) term.printJson(result);
    const checkpoint = flags.seq ? ` and holds checkpoint #${flags.seq}` : "";
    if (result.ok) return term.line(term.style("green", `The audit chain verifies: ${result.entries} entries${checkpoint}.`));
    const problems = [
      ...(result.brokenAt !== undefined ? [`first break at seq ${result.brokenAt} (breaks: ${result.breaks.join(", ")})`] : []),
      ...(result.missing !== undefined ? [`the chain no longer holds checkpoint #${result.missing} with that hash`] : []),
    ];
    throw new CliError(EXIT.unverified, `The audit chain does NOT verify (${result.entries} entries): ${problems.join("; ")}.`);
  });
}
