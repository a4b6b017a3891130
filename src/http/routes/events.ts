/**
 * `GET /v1/events`: the tenant's operator events (src/core/events) as
 * server-sent events, for admin, operator and viewer keys. Each event is
 * `event: <type>`, `id: <id>`, `data: <JSON>`; a comment line every 15 s keeps
 * idle connections open through proxies.
 *
 * Resumable: with `Last-Event-ID`, what the client missed comes first — from the
 * buffer when this process (or Durable Object) made the event, else the change
 * and directive events after its audit seq, read again from the audit log — then
 * live events. A malformed `Last-Event-ID` is a 400.
 */
import { streamSSE, type SSEStreamingApi } from "hono/streaming";
import {
  eventId,
  eventsOfCommit,
  parseEventId,
  type EventPosition,
  type OperatorEvent,
  type OperatorEvents,
} from "../../core/events/operator-events.js";
import { invalidField } from "../../core/problem.js";
import type { Store } from "../../core/store/index.js";
import type { App, AppDeps } from "../app-env.js";
import { requireKey } from "../auth.js";
import { noQuery } from "../request.js";

export const KEEPALIVE_MS = 15_000;
/** Change and directive events replayed from the audit log at most, oldest first. */
export const MAX_REPLAYED = 1_000;
/** Events waiting for a slow client; past it the stream ends and the client resumes with Last-Event-ID. */
export const MAX_QUEUED = 1_000;

export function eventRoutes(app: App, deps: AppDeps): void {
  app.get("/v1/events", async (c) => {
    const key = requireKey(c, "viewer");
    noQuery(c);
    const header = c.req.header("last-event-id")?.trim() ?? "";
    const position = header === "" ? null : parseEventId(header);
    if (header !== "" && position === null) {
      throw invalidField("Last-Event-ID", "not an event id of this service: send the id of the last event received", "invalid_header");
    }
    const head = (await deps.store.auditHead(key.tenantId)).seq;
    return streamSSE(c, (stream) => new EventSession(stream, deps.events!, deps.store, key.tenantId).run(position, head));
  });
}

/** One client's stream: a queue between the event source and a writer that may be slow. */
class EventSession {
  readonly #queue: OperatorEvent[] = [];
  #wake: (() => void) | null = null;
  #done = false;

  constructor(
    private readonly stream: SSEStreamingApi,
    private readonly events: OperatorEvents,
    private readonly store: Store,
    private readonly tenantId: string,
  ) {}

  async run(resumeFrom: EventPosition | null, head: number): Promise<void> {
    // Subscribed before anything is replayed, so that nothing made meanwhile is lost.
    const unsubscribe = this.events.subscribe(this.tenantId, (event) => this.#push(event));
    const now = this.events.position(this.tenantId, head);
    const resumption = resumeFrom === null ? null : this.events.resume(this.tenantId, resumeFrom);
    const unclose = this.events.onClose(() => this.#end());
    this.stream.onAbort(() => this.#end());
    const keepalive = setInterval(() => void this.stream.write(": keepalive\n\n").catch(() => this.#end()), KEEPALIVE_MS);
    try {
      await this.stream.write("retry: 2000\n\n");
      /** Change and directive events up to this audit seq were replayed: their live copies are skipped. */
      let replayedSeq = -1;
      if (resumption?.kind === "buffered") {
        for (const event of resumption.events) await this.#send(event);
      } else if (resumption?.kind === "durable") {
        const commits = await this.store.commitsAfterSeq(this.tenantId, resumption.afterSeq, MAX_REPLAYED);
        replayedSeq = commits.length > 0 ? commits[commits.length - 1]!.audit.seq : -1;
        const id = eventId({ ...now, seq: Math.max(now.seq, replayedSeq) });
        for (const commit of commits) {
          for (const { type, data } of eventsOfCommit(commit)) await this.#send({ id, type, data } as OperatorEvent);
        }
      }
      while (!this.#done) {
        const event = this.#queue.shift();
        if (event === undefined) {
          await new Promise<void>((resolve) => (this.#wake = resolve));
          continue;
        }
        if ((event.type === "change" || event.type === "directive") && event.data.audit.seq <= replayedSeq) continue;
        await this.#send(event);
      }
    } finally {
      clearInterval(keepalive);
      unsubscribe();
      unclose();
    }
  }

  #push(event: OperatorEvent): void {
    if (this.#done) return;
    if (this.#queue.length >= MAX_QUEUED) return this.#end(); // too slow: it resumes from its last id
    this.#queue.push(event);
    this.#wake?.();
    this.#wake = null;
  }

  async #send(event: OperatorEvent): Promise<void> {
    if (this.#done) return;
    await this.stream.writeSSE({ event: event.type, id: event.id, data: JSON.stringify(event.data) });
  }

  #end(): void {
    this.#done = true;
    this.#wake?.();
    this.#wake = null;
  }
}
