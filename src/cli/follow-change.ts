/**
 * `--wait`: follows one change until every instance connected when it was
 * committed has applied it.
 *
 * Progress comes from the operator event stream (`GET /v1/events`, opened before
 * the write so that nothing is missed): a `receipt` event about every 250 ms
 * while the change is incomplete, and one when it is. The receipt itself
 * (`GET /v1/envs/{env}/changes/{version}`) is read once a second all the same,
 * and every 250 ms when there is no event stream (a service without one, or a
 * stream that broke), so that the wait ends even if an event is lost. Its
 * `status` decides: `complete`, `no-instances` (nobody to reach), or `pending`
 * until the deadline, when it is read once more to name the pending instances.
 * A moment without an answer is retried until the deadline.
 */
import type { PropagationReceipt } from "../core/schemas/responses.js";
import { ApiRefusal, seg, type ApiClient } from "./api-client.js";
import { CliError } from "./cli-error.js";
import type { EventStream } from "./event-stream.js";

export type Receipt = PropagationReceipt;

export type Outcome = "complete" | "no-instances" | "timeout";

/** What the progress view shows: from a receipt event, or from a receipt read. */
export interface Progress {
  version: number;
  connected: number;
  acked: number;
  pending: number;
  p99: number | null;
}

export interface Followed {
  outcome: Outcome;
  /** The last receipt read (null: none, the version is unknown to the service). */
  receipt: Receipt | null;
  elapsedMs: number;
  /** Where the progress came from: the event stream, or reading the receipt alone. */
  via: "events" | "polling";
}

export interface FollowOptions {
  timeoutMs: number;
  /** Every progress seen, with the time since the follow started. */
  onProgress?(progress: Progress, elapsedMs: number): void;
  /** The operator event stream, opened before the write; without it, the receipt is polled. */
  events?: EventStream | undefined;
}

/** How often the receipt is read: beside the event stream, and without it. */
export const CHECK_WITH_EVENTS_MS = 1_000;
export const POLL_MS = 250;

const progressOf = (r: Receipt): Progress => ({ version: r.version, connected: r.connected, acked: r.acked, pending: r.pending.length, p99: r.latencyMs.p99 });
const settled = (status: string): Outcome | undefined => (status === "complete" ? "complete" : status === "no-instances" ? "no-instances" : undefined);

export async function followChange(client: ApiClient, env: string, version: number, options: FollowOptions): Promise<Followed> {
  const started = performance.now();
  const elapsed = (): number => performance.now() - started;
  let events = options.events;
  const via: Followed["via"] = events ? "events" : "polling";
  let receipt: Receipt | null = null;
  let failure: CliError | undefined;

  /** Reads the receipt; answers the outcome when it is settled. */
  const check = async (): Promise<Outcome | undefined> => {
    try {
      receipt = await client.get<Receipt>(`/v1/envs/${seg(env)}/changes/${version}`);
      failure = undefined;
      options.onProgress?.(progressOf(receipt), elapsed());
      return settled(receipt.status);
    } catch (error) {
      // A 404 before the receipt exists, or a moment without an answer: retried until the deadline.
      if (error instanceof ApiRefusal && error.problem.status !== 404) throw error;
      if (!(error instanceof CliError)) throw error;
      failure = error;
      return undefined;
    }
  };
  const done = (outcome: Outcome): Followed => ({ outcome, receipt, elapsedMs: elapsed(), via });

  let outcome = await check();
  if (outcome) return done(outcome);
  let nextCheck = elapsed() + (events ? CHECK_WITH_EVENTS_MS : POLL_MS);
  for (;;) {
    const left = options.timeoutMs - elapsed();
    if (left <= 0) {
      await check(); // the pending instances, by name
      if (receipt && settled((receipt as Receipt).status)) return done(settled((receipt as Receipt).status)!);
      if (failure && !(failure instanceof ApiRefusal)) throw failure;
      return done("timeout");
    }
    const until = Math.min(left, Math.max(0, nextCheck - elapsed()));
    if (events) {
      const timer = new AbortController();
      const timeout = setTimeout(() => timer.abort(), until);
      const event = await events.next(timer.signal);
      clearTimeout(timeout);
      if (event === null && !timer.signal.aborted) {
        events = undefined; // the stream ended: read the receipt often instead
        nextCheck = elapsed();
        continue;
      }
      if (event?.type === "receipt" && event.data.env === env && event.data.version === version) {
        const { connected, acked, pending, p99, status } = event.data;
        options.onProgress?.({ version, connected, acked, pending, p99 }, elapsed());
        // Settled by the event: the receipt read now carries the figures (latencies, the audit entry).
        if (settled(status) && (outcome = await check())) return done(outcome);
      }
    } else {
      await new Promise((resolve) => setTimeout(resolve, until));
    }
    if (elapsed() >= nextCheck) {
      if ((outcome = await check())) return done(outcome);
      nextCheck = elapsed() + (events ? CHECK_WITH_EVENTS_MS : POLL_MS);
    }
  }
}
