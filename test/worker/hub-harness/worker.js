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
 * For the stream's limits: `POST /limits` (JSON) swaps in a hub with those
 * limits, `POST /clock?offset=` moves the hub's clock by `offset` ms from
 * the real one, `POST /clock?at=` stops it at `at` (ms since the epoch), `POST /sweep` runs what the object's alarm runs (the alarm
 * itself does nothing here), `GET /alarm` answers the alarm's time, and `GET /messages` counts the frames that
 * reached the object, `GET /constructions` how many times this object (not another
 * one of the isolate, woken by its own alarm) was
 * constructed (a wake from hibernation is one more) and when it last was.
 * `GET /v1/stream?key=` picks the key id (default k1).
 *
 * For the conformance cases (test/conformance): the source keeps every change
 * (`changesSince` replays them), `POST /hold` makes snapshot reads wait until
 * `POST /release` (they then read the state as of the release; with `?stall=1`
 * they read it at once, and answer it at the release: a read that straddles the
 * commits made meanwhile), `POST /revoke`
 * revokes key k1, and `GET /receipt?v=` answers how many sockets the hub counted
 * as connected when `v` was published and how many of those are pending.
 * `?object=` on any request picks another object (default "one"), so that
 * tests do not share limits, clock or alarm.
 *
 * Plain JavaScript because the hub is typed against @cloudflare/workers-types,
 * which the root tsconfig that checks test/ (DOM lib) cannot load; wrangler
 * bundles the TypeScript it imports.
 */
import { DurableObject } from "cloudflare:workers";
import { HibernatingHub } from "../../../src/worker/hibernating-hub.ts";
import { pendingAt } from "../../../src/core/receipts/receipt-tracker.ts";

const ENV = "production";
/** Objects constructed by this isolate, and when the last one was: a wake from hibernation constructs the object again. */
/** Object id → how many times it was constructed and when it last was. */
const constructed = new Map();

export class HubObject extends DurableObject {
  version = 1;
  acks = 0;
  messages = 0;
  offset = 0;
  /** The hub's time while stopped (`POST /clock?at=`); null while it follows the real one. */
  at = null;
  limits = {};
  /** Every published change, for changesSince. */
  log = [];
  /** Snapshot reads waiting for `POST /release`; null when not held. */
  held = null;
  /** Held reads read the state when they start (`POST /hold?stall=1`), not at their release. */
  stalled = false;
  /** version → sockets counted as connected when it was published. */
  connected = new Map();

  constructor(ctx, env) {
    super(ctx, env);
    const id = ctx.id.toString();
    constructed.set(id, { constructions: (constructed.get(id)?.constructions ?? 0) + 1, constructedAt: Date.now() });
    HibernatingHub.enableAutoPong(ctx);
    this.hub = this.#newHub();
  }

  #now() {
    return this.at ?? Date.now() + this.offset;
  }

  #newHub() {
    return new HibernatingHub(this.ctx, {
      tenantId: "t",
      source: {
        snapshot: async () => {
          const read = this.stalled ? this.version : null;
          if (this.held) await new Promise((resolve) => this.held.push(resolve));
          return { version: read ?? this.version, flags: {}, segments: {} };
        },
        changesSince: async (_tenant, _env, since) => {
          if (since >= this.version) return [];
          const changes = this.log.filter((c) => c.version > since);
          return changes.length > 0 && changes[0].prev === since ? changes : null;
        },
      },
      onPublished: (change, connected) => this.connected.set(change.version, connected),
      onAck: () => this.acks++,
      limits: this.limits,
      now: () => this.#now(),
    });
  }

  async fetch(request) {
    const url = new URL(request.url);
    switch (`${request.method} ${url.pathname}`) {
      case "GET /v1/stream":
        return this.hub.accept(request, { env: ENV, keyId: url.searchParams.get("key") ?? "k1" });
      case "POST /publish": {
        const prev = this.version++;
        const change = { tenantId: "t", env: ENV, version: this.version, prev, committedAt: Date.now(), flags: {}, segments: {}, removed: { flags: [], segments: [] } };
        this.log.push(change);
        this.hub.publish(change);
        return Response.json({ version: this.version });
      }
      case "POST /wake":
        this.hub = this.#newHub();
        return Response.json({ ok: true });
      case "GET /connections":
        return Response.json(this.hub.connections(ENV));
      case "GET /pending":
        return Response.json(pendingAt(this.hub.connections(ENV), Number(url.searchParams.get("v"))));
      case "GET /acks":
        return Response.json({ acks: this.acks });
      case "POST /limits":
        this.limits = await request.json();
        this.hub = this.#newHub();
        return Response.json({ ok: true });
      case "POST /clock":
        this.at = url.searchParams.has("at") ? Number(url.searchParams.get("at")) : null;
        this.offset = Number(url.searchParams.get("offset") ?? 0);
        return Response.json({ ok: true });
      case "POST /sweep":
        await this.hub.sweep();
        return Response.json({ ok: true });
      case "GET /alarm":
        return Response.json({ alarm: await this.ctx.storage.getAlarm(), now: this.#now() });
      case "GET /constructions":
        return Response.json(constructed.get(this.ctx.id.toString()));
      case "POST /hold":
        this.held = [];
        this.stalled = url.searchParams.get("stall") === "1";
        return Response.json({ ok: true });
      case "POST /release": {
        const waiting = this.held ?? [];
        this.held = null;
        this.stalled = false;
        for (const release of waiting) release();
        return Response.json({ ok: true });
      }
      case "POST /revoke":
        this.hub.keyRevoked("t", "k1");
        return Response.json({ ok: true });
      case "GET /receipt": {
        const v = Number(url.searchParams.get("v"));
        if (!this.connected.has(v)) return Response.json(null);
        return Response.json({ connected: this.connected.get(v), pending: pendingAt(this.hub.connections(ENV), v).length });
      }
      case "GET /messages":
        return Response.json({ messages: this.messages });
    }
    return new Response("not found", { status: 404 });
  }

  async webSocketMessage(ws, message) {
    this.messages++;
    await this.hub.message(ws, message);
  }

  async webSocketClose(ws, code, reason) {
    this.hub.closed(ws, code, reason);
  }

  // The tests run the sweep themselves (`POST /sweep`) on the hub's moved clock; an alarm set
  // on that clock may fire at any moment of real time, so it does nothing here.
  async alarm() {}
}

export default {
  fetch(request, env) {
    if (new URL(request.url).pathname === "/healthz") return new Response("ok");
    return env.HUB.get(env.HUB.idFromName(new URL(request.url).searchParams.get("object") ?? "one")).fetch(request);
  },
};
