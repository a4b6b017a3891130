/**
 * A test client for `GET /v1/events`: real fetch, the body read as it streams
 * and split into server-sent events (the WHATWG format: `event:`, `id:`,
 * `data:` lines, a blank line between events, `:` comments ignored).
 */

export interface ServerSentEvent {
  event: string;
  id: string | undefined;
  /** The data, parsed as JSON. */
  // Events are checked field by field in the tests; `any` keeps those checks short.
  data: any;
}

export interface EventStream {
  status: number;
  contentType: string;
  /** Every event received so far, in order. */
  readonly received: ServerSentEvent[];
  /** The first event (already received or to come) that `match` accepts. */
  next(match?: (event: ServerSentEvent) => boolean, timeoutMs?: number): Promise<ServerSentEvent>;
  close(): void;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
}

export async function openEvents(baseUrl: string, key: string, headers: Record<string, string> = {}): Promise<EventStream> {
  const abort = new AbortController();
  const response = await fetch(`${baseUrl}/v1/events`, { headers: { authorization: `Bearer ${key}`, ...headers }, signal: abort.signal });
  const received: ServerSentEvent[] = [];
  const waiters = new Set<() => void>();
  let cursor = 0;
  const ended = (async () => {
    if (!response.body || !response.headers.get("content-type")?.startsWith("text/event-stream")) return;
    const decoder = new TextDecoder();
    let buffer = "";
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done: finished, value: chunk } = await reader.read();
        if (finished) break;
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = parseBlock(block);
          if (event) received.push(event);
        }
        for (const wake of waiters) wake();
      }
    } catch {
      // Aborted by close().
    }
    for (const wake of waiters) wake();
  })();
  let done = false;
  void ended.then(() => (done = true));

  const next = (match: (event: ServerSentEvent) => boolean = () => true, timeoutMs = 10_000) =>
    new Promise<ServerSentEvent>((resolve, reject) => {
      const look = (): boolean => {
        for (; cursor < received.length; cursor++) {
          const event = received[cursor]!;
          if (match(event)) {
            cursor++;
            resolve(event);
            return true;
          }
        }
        if (done) reject(new Error(`the stream ended; received: ${JSON.stringify(received.map((e) => e.event))}`));
        return done;
      };
      if (look()) return;
      const timer = setTimeout(() => {
        waiters.delete(wake);
        reject(new Error(`no matching event within ${timeoutMs} ms; received: ${JSON.stringify(received)}`));
      }, timeoutMs);
      const wake = () => {
        if (look()) {
          clearTimeout(timer);
          waiters.delete(wake);
        }
      };
      waiters.add(wake);
    });

  return {
    status: response.status,
    contentType: response.headers.get("content-type") ?? "",
    received,
    next,
    close: () => abort.abort(),
    ended,
  };
}

function parseBlock(block: string): ServerSentEvent | null {
  let event = "message";
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":") || line === "") continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "id") id = value;
    else if (field === "data") data.push(value);
  }
  if (data.length === 0) return null;
  return { event, id, data: JSON.parse(data.join("\n")) };
}
