/** A test client for the stream: `ws` (Node 20 has no global WebSocket) with an awaitable inbox. */
import WebSocket from "ws";

export interface StreamClient {
  ws: WebSocket;
  /** The next text frame, in order of arrival. */
  next(timeoutMs?: number): Promise<string>;
  closed: Promise<{ code: number; reason: string }>;
}

export function openStream(
  baseUrl: string,
  protocols: string[],
  headers: Record<string, string> = {},
  query = "",
): Promise<StreamClient> {
  // Under wrangler dev the TCP connection ends about 10 s after a server-initiated
  // close handshake; the close frame itself arrives at once. Stop waiting after 1 s.
  // `closeTimeout` exists in ws 8 but not in @types/ws.
  const options: WebSocket.ClientOptions & { closeTimeout: number } = { headers, closeTimeout: 1_000 };
  const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/v1/stream${query}`, protocols, options);
  const inbox: string[] = [];
  const waiters: Array<(frame: string) => void> = [];
  ws.on("message", (data) => {
    const frame = data.toString();
    const waiter = waiters.shift();
    if (waiter) waiter(frame);
    else inbox.push(frame);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const next = (timeoutMs = 5_000) =>
    new Promise<string>((resolve, reject) => {
      const queued = inbox.shift();
      if (queued !== undefined) return resolve(queued);
      const timer = setTimeout(() => reject(new Error(`no frame within ${timeoutMs} ms`)), timeoutMs);
      waiters.push((frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
    });
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve({ ws, next, closed }));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once("error", reject);
  });
}
