/**
 * A test-only Worker that runs one SDK client inside a Durable Object, where a
 * streaming client on Workers lives (sdk/README.md, "Runtimes"). The core is imported from
 * source, unchanged: it opens its stream with workerd's global `WebSocket`.
 *
 * `/start?url=&key=` creates the client and answers what `ready()` resolved to;
 * `/eval?flag=` answers `client.evaluate(flag, {key: "probe"}, true)` as JSON.
 *
 * Typed against the DOM lib of the root tsconfig: the few Workers types it
 * needs are declared below, so no `@cloudflare/workers-types` leaks into it.
 */
import { createClient, type KillswitchClient } from "../../sdk/src/index.js";

interface ObjectStub {
  fetch(request: Request): Promise<Response>;
}
interface ObjectNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): ObjectStub;
}
interface Env {
  PROBE: ObjectNamespace;
}

const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

export class ClientObject {
  #client: KillswitchClient | undefined;
  #errors: string[] = [];

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/start") {
      const base = url.searchParams.get("url");
      const sdkKey = url.searchParams.get("key");
      if (!base || !sdkKey) return json({ title: "url and key are required" }, 400);
      this.#client?.close();
      // With `publicKey`, every frame is verified with workerd's WebCrypto.
      const publicKey = url.searchParams.get("publicKey") ?? undefined;
      const client = createClient({ url: base, sdkKey, app: "workers-probe", publicKey });
      client.on("error", (e) => this.#errors.push(String((e as Error).cause ?? e.message)));
      this.#client = client;
      const state = await client.ready({ timeoutMs: 10_000 });
      return json({ state, instance: client.instance, version: client.version, errors: this.#errors });
    }
    if (url.pathname === "/eval") {
      const flag = url.searchParams.get("flag");
      if (!this.#client) return json({ title: "no client: call /start first" }, 409);
      if (!flag) return json({ title: "flag is required" }, 400);
      return json({ result: this.#client.evaluate(flag, { key: "probe" }, true), version: this.#client.version, errors: this.#errors });
    }
    return json({ title: "not found" }, 404);
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === "/healthz") return new Response("ok");
    // One object holds the one client: every request reaches the same instance.
    return env.PROBE.get(env.PROBE.idFromName("probe")).fetch(request);
  },
};
