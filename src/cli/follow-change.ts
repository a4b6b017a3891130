/**
 * `--wait`: follows one change until every instance connected when it was
 * committed has applied it, by reading its receipt
 * (`GET /v1/envs/{env}/changes/{version}`) every 250 ms. The receipt's `status`
 * decides: `complete`, `no-instances` (nobody to reach), or `pending` until the
 * deadline. A moment without an answer is retried until the deadline.
 */
import type { PropagationReceipt } from "../core/schemas/responses.js";
import { ApiRefusal, seg, type ApiClient } from "./api-client.js";
import { CliError } from "./cli-error.js";

export type Receipt = PropagationReceipt;

export type Outcome = "complete" | "no-instances" | "timeout";

export interface Followed {
  outcome: Outcome;
  /** The last receipt read (null: none yet, the version is unknown to the service). */
  receipt: Receipt | null;
  elapsedMs: number;
}

export interface FollowOptions {
  timeoutMs: number;
  /** Every receipt read, with the time since the follow started. */
  onReceipt?(receipt: Receipt, elapsedMs: number): void;
  /** How often to read the receipt; default 250 ms. */
  intervalMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function followChange(client: ApiClient, env: string, version: number, options: FollowOptions): Promise<Followed> {
  const started = performance.now();
  const elapsed = (): number => performance.now() - started;
  const interval = options.intervalMs ?? 250;
  let receipt: Receipt | null = null;
  let failure: CliError | undefined;
  for (;;) {
    try {
      receipt = await client.get<Receipt>(`/v1/envs/${seg(env)}/changes/${version}`);
      failure = undefined;
      options.onReceipt?.(receipt, elapsed());
      if (receipt.status === "complete") return { outcome: "complete", receipt, elapsedMs: elapsed() };
      if (receipt.status === "no-instances") return { outcome: "no-instances", receipt, elapsedMs: elapsed() };
    } catch (error) {
      // A 404 before the receipt exists, or a moment without an answer: retried until the deadline.
      if (error instanceof ApiRefusal && error.problem.status !== 404) throw error;
      if (!(error instanceof CliError)) throw error;
      failure = error;
    }
    const left = options.timeoutMs - elapsed();
    if (left <= 0) {
      if (failure && !(failure instanceof ApiRefusal)) throw failure;
      return { outcome: "timeout", receipt, elapsedMs: elapsed() };
    }
    await sleep(Math.min(interval, left));
  }
}
