/**
 * A throwaway HTTP server on 127.0.0.1:0 for the browser test: the test page and the
 * built SDK core, each from memory, on an origin other than the service's.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface StaticFile {
  type: string;
  body: string | Buffer;
}

export interface StaticServer {
  /** e.g. `http://127.0.0.1:40123` */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `files` by exact path (`/`, `/sdk/index.js`); anything else is a 404. */
export async function startStaticServer(files: Record<string, StaticFile>): Promise<StaticServer> {
  const server = createServer((req, res) => {
    const file = Object.hasOwn(files, req.url ?? "") ? files[req.url ?? ""] : undefined;
    if (!file || req.method !== "GET") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    // A module script needs a JavaScript MIME type; no-store so a rebuilt SDK is never served stale.
    res.writeHead(200, { "content-type": file.type, "cache-control": "no-store" }).end(file.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
