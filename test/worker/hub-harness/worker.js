/**
 * A test-only Worker: the real HibernatingHub (src/worker/hibernating-hub.ts)
 * in a Durable Object, over a stand-in source whose environment is empty and
 * whose version the test advances with `POST /publish`.
 *
 * `POST /wake` replaces the hub with a new one over the same sockets: what an
 * object rebuilt after hibernation starts from, with nothing in memory and
 * only the sockets' attachments to read. `GET /connections` and
 * `GET /pending?v=` answer the hub's views; `GET /acks` counts acks handled.
 *
 * Plain JavaScript because the hub is typed against @cloudflare/workers-types,
 * which the root tsconfig that checks test/ (DOM lib) cannot load; wrangler
 * bundles the TypeScript it imports.
 */
import { DurableObject } from "cloudflare:workers";
import { HibernatingHub } from "../../../src/worker/hibernating-hub.ts";

const ENV = "production";

export class HubObject extends DurableObject {
  version = 1;
  acks = 0;

  constructor(ctx, env) {
    super(ctx, env);
    this.hub = this.#newHub();
  }

  #newHub() {
    return new HibernatingHub(this.ctx, {
      tenantId: "t",
      source: {
        snapshot: async () => ({ version: this.version, flags: {}, segments: {} }),
        changesSince: async () => null,
      },
      onAck: () => this.acks++,
    });
  }

  async fetch(request) {
    const url = new URL(request.url);
    switch (`${request.method} ${url.pathname}`) {
      case "GET /v1/stream":
        return this.hub.accept(request, { env: ENV, keyId: "k1" });
      case "POST /publish": {
        const prev = this.version++;
        const change = { tenantId: "t", env: ENV, version: this.version, prev, committedAt: Date.now(), flags: {}, segments: {}, removed: { flags: [], segments: [] } };
        this.hub.publish(change);
        return Response.json({ version: this.version });
      }
      case "POST /wake":
        this.hub = this.#newHub();
        return Response.json({ ok: true });
      case "GET /connections":
        return Response.json(this.hub.connections(ENV));
      case "GET /pending":
        return Response.json(this.hub.pending(ENV, Number(url.searchParams.get("v"))));
      case "GET /acks":
        return Response.json({ acks: this.acks });
    }
    return new Response("not found", { status: 404 });
  }

  async webSocketMessage(ws, message) {
    await this.hub.message(ws, message);
  }

  async webSocketClose(ws, code, reason) {
    this.hub.closed(ws, code, reason);
  }
}

export default {
  fetch(request, env) {
    if (new URL(request.url).pathname === "/healthz") return new Response("ok");
    return env.HUB.get(env.HUB.idFromName("one")).fetch(request);
  },
};
