/**
 * `watch`: the tenant's operator events as they happen (`GET /v1/events`):
 * committed changes, their propagation (at most a line a second per change, and
 * its final state), instances connecting and leaving, directives. When the
 * stream breaks it resumes where it stopped (`Last-Event-ID`). Runs until
 * interrupted.
 */
import type { Command } from "commander";
import { CliContext } from "../cli-context.js";
import { EventStream, type OperatorEvent } from "../event-stream.js";
import type { Terminal } from "../terminal.js";
import { exampleHelp } from "./help-text.js";

const RECONNECT_MIN_MS = 1_000;
const RECONNECT_MAX_MS = 30_000;
/** A change's progress is printed at most this often; its final state always. */
const RECEIPT_LINE_MS = 1_000;

const clock = (iso?: string): string => (iso ?? new Date().toISOString()).slice(11, 19);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One line for a person, or undefined to leave this event out. */
export function eventLine(term: Terminal, event: OperatorEvent, lastReceiptLine: Map<string, number>): string | undefined {
  const pad = (type: string): string => term.style("bold", type.padEnd(9));
  switch (event.type) {
    case "change": {
      const d = event.data;
      const directive = d.directive ? ` [${d.directive}]` : "";
      return `${clock(d.committedAt)}  ${pad("change")}  ${d.env} v${d.version}  ${d.key}  ${d.action} by ${d.actor.name}${directive}${d.reason ? `: ${d.reason}` : ""}`;
    }
    case "receipt": {
      const d = event.data;
      const id = `${d.env}:${d.version}`;
      const now = Date.now();
      if (!d.final && now - (lastReceiptLine.get(id) ?? 0) < RECEIPT_LINE_MS) return undefined;
      lastReceiptLine.set(id, now);
      if (d.final) lastReceiptLine.delete(id);
      const state = d.status === "complete" ? term.style("green", "complete") : d.status === "no-instances" ? term.style("yellow", "no instances") : d.final ? term.style("red", `${d.status} (final)`) : d.status;
      const p99 = d.p99 === null ? "–" : `${Math.round(d.p99)} ms`;
      return `${clock()}  ${pad("receipt")}  ${d.env} v${d.version}  ${d.acked}/${d.connected} applied, p99 ${p99}, ${d.pending} pending  ${state}`;
    }
    case "instance": {
      const d = event.data;
      return `${clock(d.at)}  ${pad("instance")}  ${d.env}  ${d.event} ${d.instance} (${d.app}, ${d.sdk})`;
    }
    case "directive": {
      const d = event.data;
      return `${clock(d.at)}  ${pad("directive")}  ${d.ref}  ${d.action} by ${d.actor.name}${d.reason ? `: ${d.reason}` : ""}`;
    }
  }
}

const envOf = (event: OperatorEvent): string | undefined => ("env" in event.data ? event.data.env : undefined);

export function registerWatch(program: Command): void {
  exampleHelp(
    program
      .command("watch")
      .description("Follow changes, their propagation, instances and directives live (JSON lines with --json)")
      .option("--env <env>", "only this environment's changes, receipts and instances"),
    ["killswitch watch", "killswitch watch --env production --json | jq -c 'select(.type == \"change\")'"],
  ).action(async (flags: { env?: string }, command: Command) => {
    const ctx = new CliContext(command);
    const { term } = ctx;
    const receiptLines = new Map<string, number>();
    // The first connection fails loudly (a wrong key, no service); a later break is retried.
    let stream: EventStream | null = await EventStream.open(ctx.client);
    // On stderr, --json or not: scripts can wait for it to know the stream is open.
    term.note(term.errStyle("dim", `Watching ${ctx.connection.url}${flags.env ? ` (${flags.env})` : ""}; Ctrl-C to stop.`));
    let resumeFrom: string | undefined;
    let backoff = RECONNECT_MIN_MS;
    for (;;) {
      if (stream === null) {
        await sleep(backoff);
        try {
          stream = await EventStream.open(ctx.client, resumeFrom);
          backoff = RECONNECT_MIN_MS;
        } catch (error) {
          backoff = Math.min(backoff * 2, RECONNECT_MAX_MS);
          term.note(term.errStyle("yellow", `Cannot reconnect (${(error as Error).message}); trying again in ${backoff / 1000} s.`));
          continue;
        }
      }
      const event = await stream.next();
      if (event === null) {
        resumeFrom = stream.lastEventId;
        term.note(term.errStyle("yellow", `The event stream ended (${stream.endedBy?.message ?? "closed"}); resuming in ${backoff / 1000} s.`));
        stream = null;
        continue;
      }
      const env = envOf(event);
      if (flags.env && env !== undefined && env !== flags.env) continue;
      if (term.json) {
        process.stdout.write(`${JSON.stringify(event)}\n`);
        continue;
      }
      const line = eventLine(term, event, receiptLines);
      if (line) term.line(line);
    }
  });
}
