/**
 * An HTTP proxy on 127.0.0.1 in front of the service that records what the
 * service answered (path and status): the test counts 200s and 304s of the
 * snapshot on the wire. Closing it makes the service unreachable for the Worker.
 */
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";

export interface Answer {
  path: string;
  status: number;
}

export interface CountingProxy {
  url: string;
  /** Every answer relayed so far, in order. */
  readonly answers: readonly Answer[];
  /** Stops listening and drops open connections: from now on connecting is refused. */
  close(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const answers: Answer[] = [];
  const server = createServer((req, res) => {
    const path = req.url ?? "/";
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        answers.push({ path, status: answer.statusCode ?? 0 });
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    answers,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
