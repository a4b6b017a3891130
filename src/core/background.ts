/**
 * The work a host runs in the background, the same on both hosts: due
 * scheduled changes (schedule/scheduler.ts), webhook deliveries
 * (webhooks/dispatcher.ts) and receipt checks (webhooks/receipt-watcher.ts).
 * The host calls `run` from its timer (Node) or its Durable Object alarm, and
 * again by the time `run` answers; the store's `onDue` tells it of work that
 * became due sooner.
 */
import { isRetryableWriteError } from "./db/retryable.js";
import type { Store } from "./store/index.js";
import type { Telemetry, WebhookOutcome } from "./telemetry.js";
import { Scheduler } from "./schedule/scheduler.js";
import type { RetryPolicy } from "./webhooks/backoff.js";
import { WebhookDispatcher } from "./webhooks/dispatcher.js";
import { ReceiptWatcher, type ReceiptReader } from "./webhooks/receipt-watcher.js";
import type { WebhookTransport } from "./webhooks/transport.js";
import type { UrlPolicy } from "./webhooks/url-policy.js";

/**
 * Counts and outcomes for metrics: the host's metrics layer implements it.
 * Every callback is optional and must not throw.
 */
export interface BackgroundObserver {
  /** A webhook attempt ended: delivered (2xx), to be retried, or given up (its last attempt failed). */
  webhookDelivery?(outcome: "delivered" | "retry" | "failed", latencyMs: number): void;
  /** A due scheduled change was applied or skipped; `failed`: the attempt failed and it stays pending. */
  scheduledChange?(outcome: "applied" | "skipped" | "failed", late: boolean): void;
  /** After each round: pending scheduled changes, and how many of them are due now. */
  scheduleCounts?(counts: { pending: number; due: number }): void;
}

const WEBHOOK_OUTCOME = { delivered: "delivered", retry: "failed", failed: "abandoned" } as const satisfies Record<string, WebhookOutcome>;

/** The background work's reports as metrics: deliveries by outcome, and scheduled changes due. */
export function backgroundObserver(telemetry: Telemetry): BackgroundObserver {
  return {
    webhookDelivery: (outcome) => telemetry.webhookDelivered(WEBHOOK_OUTCOME[outcome]),
    scheduleCounts: ({ due }) => telemetry.scheduledChangesDue(due),
  };
}

export interface BackgroundOptions {
  store: Store;
  transport: WebhookTransport;
  policy: UrlPolicy;
  receipts?: ReceiptReader;
  clock?: () => number;
  retry?: Partial<RetryPolicy>;
  observer?: BackgroundObserver;
  onError: (error: unknown) => void;
  /** Told when a webhook send ended: call `run` again (a slot is free). */
  onIdleSlot?: () => void;
}

export class Background {
  readonly #scheduler: Scheduler;
  readonly #dispatcher: WebhookDispatcher;
  readonly #watcher: ReceiptWatcher;
  readonly #onError: (error: unknown) => void;

  constructor(options: BackgroundOptions) {
    const clock = options.clock ?? Date.now;
    this.#onError = options.onError;
    this.#scheduler = new Scheduler({ store: options.store, clock, observer: options.observer, onError: options.onError });
    this.#dispatcher = new WebhookDispatcher({
      store: options.store,
      transport: options.transport,
      policy: options.policy,
      clock,
      retry: options.retry,
      observer: options.observer,
      onError: options.onError,
      onIdleSlot: options.onIdleSlot,
    });
    this.#watcher = new ReceiptWatcher({ store: options.store, receipts: options.receipts, clock, onError: options.onError });
  }

  /**
   * One round: applies due changes first (they may queue events), then checks
   * receipts and starts deliveries. Answers when to run next, or null when
   * nothing is pending. A part that fails is reported; the others still run.
   */
  async run(): Promise<number | null> {
    let next: number | null = null;
    for (const part of [this.#scheduler, this.#watcher, this.#dispatcher]) {
      try {
        const at = await part.runDue();
        if (at !== null && (next === null || at < next)) next = at;
      } catch (error) {
        // Another process held the write lock (a claim meets it now and then): the next round tries again.
        if (isRetryableWriteError(error)) {
          const soon = Date.now() + 100;
          if (next === null || soon < next) next = soon;
        } else {
          this.#onError(error);
        }
      }
    }
    return next;
  }

  /** Resolves once every webhook send started has ended (the Durable Object awaits it in tests only). */
  settled(): Promise<void> {
    return this.#dispatcher.settled();
  }

  close(): Promise<void> {
    return this.#dispatcher.close();
  }
}
