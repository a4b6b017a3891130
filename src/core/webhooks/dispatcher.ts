/**
 * Sends due webhook deliveries, on any host: claims them in the database,
 * signs each body (signing.ts) and hands it to the host's transport, then
 * records the attempt: delivered on a 2xx, else a retry after a backoff
 * (backoff.ts), or given up after the last attempt.
 *
 * Sends run concurrently and nobody waits for them: `runDue` starts them and
 * returns, so a slow receiver holds only its own sends. At most
 * `perEndpoint` sends to one endpoint run at once (its further deliveries wait
 * in the database for a free slot), and at most `total` in all; a send ends
 * after 10 s at most. A write never waits for any of this: its commit only
 * queued the rows.
 */
import type { BackgroundObserver } from "../background.js";
import type { AttemptOutcome, ClaimedDelivery, Store } from "../store/index.js";
import { DEFAULT_RETRY, retryDelay, type RetryPolicy } from "./backoff.js";
import { retryBusy } from "../db/retry-busy.js";
import { signedHeaders } from "./signing.js";
import { DELIVERY_TIMEOUT_MS, type DeliveryResult, type WebhookTransport } from "./transport.js";
import { urlRefusal, type UrlPolicy } from "./url-policy.js";

export interface DispatcherOptions {
  store: Store;
  transport: WebhookTransport;
  policy: UrlPolicy;
  clock: () => number;
  retry?: Partial<RetryPolicy>;
  /** Sends at once to one endpoint. Default 4. */
  perEndpoint?: number;
  /** Sends at once in all. Default 256. */
  total?: number;
  /** Default 10 s. */
  timeoutMs?: number;
  observer?: BackgroundObserver;
  onError: (error: unknown) => void;
  /** Told when a send ended and freed a slot: the host runs the loop again. */
  onIdleSlot?: () => void;
}

/** Attempts that end within this long of each other are recorded in one commit. */
const RECORD_GATHER_MS = 20;

/** A claim outlives the longest attempt, so no other process takes over a send still running. */
const LEASE_MARGIN_MS = 20_000;

export class WebhookDispatcher {
  readonly #options: DispatcherOptions;
  readonly #retry: RetryPolicy;
  readonly #perEndpoint: number;
  readonly #total: number;
  readonly #timeoutMs: number;
  /** Sends running, per endpoint. */
  readonly #running = new Map<string, number>();
  #count = 0;
  readonly #sends = new Set<Promise<void>>();
  /** One per send running: close aborts them (one shared signal would collect a listener per send). */
  readonly #aborts = new Set<AbortController>();
  #closed = false;
  readonly #records: { claimed: ClaimedDelivery; outcome: AttemptOutcome; resolve: () => void; reject: (error: unknown) => void }[] = [];
  #flush: ReturnType<typeof setTimeout> | undefined;

  constructor(options: DispatcherOptions) {
    this.#options = options;
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#perEndpoint = options.perEndpoint ?? 4;
    this.#total = options.total ?? 256;
    this.#timeoutMs = options.timeoutMs ?? DELIVERY_TIMEOUT_MS;
  }

  /** Starts the due deliveries there is room for; answers when the next one falls due, or null. */
  async runDue(): Promise<number | null> {
    const { store, clock } = this.#options;
    if (this.#closed) return null;
    const next = await store.webhooks.nextDeliveryAt();
    if (next === null || next > clock()) return next;
    const room = this.#total - this.#count;
    if (room <= 0) return null; // a send that ends runs the loop again
    const busy = [...this.#running].filter(([, n]) => n >= this.#perEndpoint).map(([id]) => id);
    const claimed = await store.webhooks.claimDeliveries(clock(), Math.min(room, 100), this.#timeoutMs + LEASE_MARGIN_MS, busy, this.#perEndpoint);
    const unsent: ClaimedDelivery[] = [];
    for (const delivery of claimed) {
      // #start counts the send at once, so this sees the ones just started too.
      if ((this.#running.get(delivery.webhookId) ?? 0) >= this.#perEndpoint) unsent.push(delivery);
      else this.#start(delivery);
    }
    // No room for these now: given back, and sent when a send to their endpoint ends (which runs the loop again).
    await store.webhooks.releaseDeliveries(unsent);
    return claimed.length > unsent.length ? clock() : await store.webhooks.nextDeliveryAt().then((at) => (at !== null && at <= clock() ? null : at));
  }

  /** Resolves once every send started has ended and been recorded. */
  async settled(): Promise<void> {
    while (this.#sends.size > 0) await Promise.allSettled([...this.#sends]);
  }

  /** Aborts the sends running (their claims lapse; they are sent again later) and starts no more. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const abort of this.#aborts) abort.abort();
    await this.settled();
  }

  /**
   * Records an attempt with the others that end within a few milliseconds, in
   * one commit: every commit is an fsync, which a kill waiting for the write
   * lock would otherwise wait for ten times over with ten endpoints.
   */
  #record(delivery: ClaimedDelivery, outcome: AttemptOutcome): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#records.push({ claimed: delivery, outcome, resolve, reject });
      this.#flush ??= setTimeout(() => {
        this.#flush = undefined;
        const batch = this.#records.splice(0);
        // A record lost to a busy database would have the attempt made again once the claim lapses: retried here.
        retryBusy(() => this.#options.store.webhooks.recordAttempts(batch)).then(
          () => batch.forEach((r) => r.resolve()),
          (error: unknown) => batch.forEach((r) => r.reject(error)),
        );
      }, RECORD_GATHER_MS);
    });
  }

  #start(delivery: ClaimedDelivery): void {
    this.#running.set(delivery.webhookId, (this.#running.get(delivery.webhookId) ?? 0) + 1);
    this.#count++;
    const send = this.#send(delivery)
      .catch(this.#options.onError)
      .finally(() => {
        const left = (this.#running.get(delivery.webhookId) ?? 1) - 1;
        if (left > 0) this.#running.set(delivery.webhookId, left);
        else this.#running.delete(delivery.webhookId);
        this.#count--;
        this.#sends.delete(send);
        if (!this.#closed) this.#options.onIdleSlot?.();
      });
    this.#sends.add(send);
  }

  async #send(delivery: ClaimedDelivery): Promise<void> {
    const { store, transport, policy, clock, observer } = this.#options;
    const at = clock();
    const refusal = urlRefusal(delivery.url, policy);
    let result: DeliveryResult;
    if (refusal !== null) {
      result = { status: null, latencyMs: 0, error: `refused: ${refusal}` };
    } else {
      const headers = await signedHeaders(delivery.secrets, delivery.eventId, Math.floor(at / 1000), delivery.payload);
      const abort = new AbortController();
      this.#aborts.add(abort);
      result = await transport
        .send({
          url: delivery.url,
          headers: { ...headers, "content-type": "application/json", "user-agent": "killswitch-webhooks/1" },
          body: delivery.payload,
          timeoutMs: this.#timeoutMs,
          policy,
          signal: abort.signal,
        })
        .finally(() => this.#aborts.delete(abort));
    }
    if (this.#closed) return; // aborted by close: the claim lapses and the attempt is made again
    const ok = result.status !== null && result.status >= 200 && result.status < 300;
    const attemptNumber = delivery.attemptCount + 1;
    const giveUp = !ok && attemptNumber >= this.#retry.maxAttempts;
    await this.#record(delivery, {
      attempt: {
        at,
        status: result.status,
        latencyMs: result.latencyMs,
        response: result.status === null ? null : result.response,
        error: result.status === null ? result.error : null,
      },
      status: ok ? "delivered" : giveUp ? "failed" : "pending",
      nextAt: ok || giveUp ? null : clock() + retryDelay(attemptNumber, this.#retry),
    });
    observer?.webhookDelivery?.(ok ? "delivered" : giveUp ? "failed" : "retry", result.latencyMs);
  }
}
