/**
 * The operator event stream, `GET /v1/events` (server-sent events), as the CLI
 * reads it: `change`, `receipt`, `instance` and `directive` events in order,
 * parsed by eventsource-parser. `next()` answers the next event, or null once the
 * stream has ended (the service closed it, or the connection broke); `lastEventId`
 * resumes a new stream where this one stopped.
 */
import { createParser } from "eventsource-parser";
import type { ChangeEventData, DirectiveEventData, InstanceEventData, ReceiptEventData } from "../core/events/operator-events.js";
import type { ApiClient } from "./api-client.js";

export type OperatorEvent =
  | { type: "change"; id: string | undefined; data: ChangeEventData }
  | { type: "receipt"; id: string | undefined; data: ReceiptEventData }
  | { type: "instance"; id: string | undefined; data: InstanceEventData }
  | { type: "directive"; id: string | undefined; data: DirectiveEventData };

const TYPES: ReadonlySet<string> = new Set(["change", "receipt", "instance", "directive"]);

export class EventStream {
  readonly #queue: OperatorEvent[] = [];
  readonly #abort = new AbortController();
  #wake: (() => void) | null = null;
  #ended = false;
  /** Why the stream ended, when it did not end by close(). */
  endedBy: Error | undefined;
  lastEventId: string | undefined;

  private constructor(lastEventId: string | undefined) {
    this.lastEventId = lastEventId;
  }

  /** Opens the stream; rejects as any request does (refused: exit 2, unreachable: exit 5). */
  static async open(client: ApiClient, lastEventId?: string): Promise<EventStream> {
    const stream = new EventStream(lastEventId);
    const response = await client.openStream("/v1/events", {
      accept: "text/event-stream",
      headers: lastEventId ? { "last-event-id": lastEventId } : {},
      signal: stream.#abort.signal,
    });
    void stream.#read(response);
    return stream;
  }

  async #read(response: Response): Promise<void> {
    const parser = createParser({
      onEvent: (message) => {
        if (!message.event || !TYPES.has(message.event)) return; // a type this CLI does not know yet
        if (message.id) this.lastEventId = message.id;
        this.#push({ type: message.event, id: message.id, data: JSON.parse(message.data) } as OperatorEvent);
      },
    });
    try {
      const decoder = new TextDecoder();
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
      this.endedBy ??= new Error("the service ended the event stream");
    } catch (error) {
      if (!this.#abort.signal.aborted) this.endedBy = error as Error;
    } finally {
      this.#ended = true;
      this.#wakeUp();
    }
  }

  #push(event: OperatorEvent): void {
    this.#queue.push(event);
    this.#wakeUp();
  }

  #wakeUp(): void {
    this.#wake?.();
    this.#wake = null;
  }

  /** The next event; null once the stream has ended or `signal` fired. */
  async next(signal?: AbortSignal): Promise<OperatorEvent | null> {
    for (;;) {
      const event = this.#queue.shift();
      if (event) return event;
      if (this.#ended || signal?.aborted) return null;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        signal?.addEventListener("abort", () => resolve(), { once: true });
      });
    }
  }

  close(): void {
    this.#abort.abort();
  }
}
