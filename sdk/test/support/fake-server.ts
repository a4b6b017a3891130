/**
 * A small protocol-1 server for the SDK's tests: a real `ws` WebSocketServer and
 * the HTTP snapshot endpoint on 127.0.0.1, with knobs to push snapshots, patches
 * and heartbeats, drop or refuse connections, fall silent, and stop and restart
 * on the same port. It checks the key like the service: Authorization header, or
 * the subprotocols `["killswitch.v1", key]`.
 */
import { generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { ClientEvents, KillswitchClient } from "../../src/client.js";
import type { Segment, WireFlag } from "../../src/model.js";
import {
  SUBPROTOCOL,
  type ClientMessage,
  type HelloMessage,
  type HttpSnapshot,
  type PatchMessage,
  type ServerMessage,
  type SnapshotMessage,
} from "../../src/protocol.js";

export const TEST_KEY = "ks_tenant0001_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0";
/** The tenant TEST_KEY names. */
export const TEST_TENANT = "tenant0001";

/** An Ed25519 key pair as the service keeps one: the public half as `publicKey` takes it. */
export interface TestSigningKey {
  /** The raw 32-byte key in base64url. */
  publicKey: string;
  privateKey: KeyObject;
}

export const signingKey = (): TestSigningKey => {
  const pair = generateKeyPairSync("ed25519");
  // The raw key is the last 32 bytes of the SPKI DER.
  const raw = pair.publicKey.export({ format: "der", type: "spki" }).subarray(-32);
  return { publicKey: raw.toString("base64url"), privateKey: pair.privateKey };
};

/**
 * A payload signed as the service signs it: `{["serverTime":…,]"sig":{key:signature…},`
 * then the payload's members; each signature covers the payload's JSON bytes exactly.
 */
export const signedText = (payload: object, keys: readonly TestSigningKey[], serverTime?: number): string => {
  const json = JSON.stringify(payload);
  const sig = Object.fromEntries(keys.map((k) => [k.publicKey, sign(null, Buffer.from(json), k.privateKey).toString("base64url")]));
  return `{${serverTime === undefined ? "" : `"serverTime":${serverTime},`}"sig":${JSON.stringify(sig)},${json.slice(1)}`;
};

/** One accepted socket and what the client said on it. */
export interface FakeConnection {
  ws: WebSocket;
  auth: "header" | "subprotocol";
  /** The request path and query as received (the key must never be in it). */
  path: string;
  /** The subprotocol the server selected ("" when none). */
  protocol: string;
  hello?: HelloMessage;
  /** Every frame received, bare `ping` included, in order. */
  received: Array<ClientMessage | "ping">;
}

export interface Change {
  flags?: Record<string, WireFlag>;
  segments?: Record<string, Segment>;
  removed?: { flags?: string[]; segments?: string[] };
}

export class FakeServer {
  readonly key: string;
  env = "production";
  version = 0;
  flags: Record<string, WireFlag> = {};
  segments: Record<string, Segment> = {};
  /** Every patch ever made: what `since` resumes from. */
  readonly log: PatchMessage[] = [];
  /** Sockets that are open now. */
  readonly open = new Set<FakeConnection>();
  /** Every accepted socket, in order. */
  readonly connections: FakeConnection[] = [];
  /** Date.now() of every upgrade request, accepted or not. */
  readonly attempts: number[] = [];
  /** Every GET /v1/snapshot: the If-None-Match it carried and the status answered. */
  readonly polls: Array<{ ifNoneMatch?: string; status: number }> = [];
  /** Answer upgrades with 503 (the HTTP endpoint keeps working). */
  refuseUpgrades = false;
  /** Send nothing at all: no pong, no answer to hello. */
  mute = false;
  /** Resume from `since` when the log holds it; false forces a snapshot. */
  resume = true;
  /** Answer pings but never a `hello`: the client gets no state on this stream. */
  ignoreHello = false;
  /** The environment's epoch, sent on snapshots (socket and HTTP) when set. */
  epoch: string | undefined;
  /**
   * The keys that sign what it sends (every key, in order), as the service does during
   * a rotation's overlap; none: it sends unsigned frames. Signed frames name `tenant`.
   */
  signers: TestSigningKey[] = [];
  tenant = TEST_TENANT;

  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private port = 0;

  private constructor(key: string) {
    this.key = key;
    this.wss = new WebSocketServer({
      noServer: true,
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
    this.http = createServer((req, res) => {
      if (req.url !== "/v1/snapshot" || req.method !== "GET") return void res.writeHead(404).end();
      if (req.headers.authorization !== `Bearer ${this.key}`) {
        this.polls.push({ status: 401 });
        return void res.writeHead(401).end();
      }
      const etag = `"${this.version}"`;
      const ifNoneMatch = req.headers["if-none-match"];
      const status = ifNoneMatch === etag ? 304 : 200;
      this.polls.push({ ifNoneMatch, status });
      if (status === 304) return void res.writeHead(304, { etag }).end();
      const body: HttpSnapshot = { version: this.version, env: this.env, epoch: this.epoch, flags: this.flags, segments: this.segments };
      const text = this.signers.length ? signedText({ ...body, tenant: this.tenant }, this.signers) : JSON.stringify(body);
      res.writeHead(200, { "content-type": "application/json", etag }).end(text);
    });
    this.http.on("upgrade", (req, socket, head) => this.upgrade(req, socket, head));
  }

  static async start(options: { key?: string; flags?: WireFlag[]; segments?: Segment[] } = {}): Promise<FakeServer> {
    const s = new FakeServer(options.key ?? TEST_KEY);
    for (const f of options.flags ?? []) s.flags[f.key] = f;
    for (const g of options.segments ?? []) s.segments[g.key] = g;
    s.version = 1;
    await s.listen(0);
    return s;
  }

  /** The HTTP base URL a client is given. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Commits a change: bumps the version and (unless `broadcast` is false) sends the patch to every socket that said hello. */
  change(c: Change, broadcast = true): PatchMessage {
    const v = this.version + 1;
    const p: PatchMessage = {
      t: "patch",
      v,
      prev: this.version,
      flags: Object.fromEntries(Object.entries(c.flags ?? {}).map(([k, f]) => [k, { ...f, version: v }])),
      segments: Object.fromEntries(Object.entries(c.segments ?? {}).map(([k, g]) => [k, { ...g, version: v }])),
      removed: { flags: c.removed?.flags ?? [], segments: c.removed?.segments ?? [] },
    };
    Object.assign(this.flags, p.flags);
    Object.assign(this.segments, p.segments);
    for (const k of p.removed.flags) delete this.flags[k];
    for (const k of p.removed.segments) delete this.segments[k];
    this.version = v;
    this.log.push(p);
    if (broadcast) this.broadcast(p);
    return p;
  }

  /** Sends a message (signed by `signers`, if any) or a raw text frame to every socket that said hello. */
  broadcast(m: ServerMessage | string): void {
    const data = typeof m === "string" ? m : this.text(m);
    for (const c of this.open) if (c.hello) c.ws.send(data);
  }

  /**
   * A message as this server sends it: signed by `signers` when there are any, naming
   * the environment, epoch and tenant (a snapshot's and a heartbeat's `serverTime` go
   * first, unsigned), else plain JSON.
   */
  text(m: ServerMessage): string {
    if (!this.signers.length) return JSON.stringify(m);
    const { serverTime, ...rest } = m as ServerMessage & { serverTime?: number };
    const payload = { ...rest, env: (rest as { env?: string }).env ?? this.env, epoch: (rest as { epoch?: string }).epoch ?? this.epoch, tenant: this.tenant };
    return signedText(payload, this.signers, serverTime);
  }

  /** The signed heartbeat a rotation sends: version 0, the new key and its generation, signed by `signers`. */
  announce(key: TestSigningKey, n: number): void {
    this.broadcast({ t: "hb", v: 0, serverTime: Date.now(), key: key.publicKey, n });
  }

  snapshot(): SnapshotMessage {
    return { t: "snapshot", v: this.version, env: this.env, epoch: this.epoch, flags: this.flags, segments: this.segments, serverTime: Date.now() };
  }

  /** Every ack received, per connection, in order. */
  acks(c: FakeConnection): number[] {
    return c.received.flatMap((m) => (typeof m === "object" && m.t === "ack" ? [m.v] : []));
  }

  /** Closes every open socket with `code` (a closing handshake). */
  closeAll(code: number): void {
    for (const c of this.open) c.ws.close(code);
  }

  /** Drops every socket without a closing handshake (the process stays up). */
  drop(): void {
    for (const c of this.open) c.ws.terminate();
  }

  /** Stops listening and drops every connection: the service is down. */
  async stop(): Promise<void> {
    this.drop();
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  /** Listens again on the same port. */
  async restart(): Promise<void> {
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    if (this.http.listening) await this.stop();
    this.wss.close();
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.http.once("error", reject);
      this.http.listen(port, "127.0.0.1", () => {
        this.http.off("error", reject);
        this.port = (this.http.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.attempts.push(Date.now());
    // A client that gives up (or exits) while its upgrade is refused resets the socket: not an error here.
    socket.on("error", () => {});
    if (this.refuseUpgrades) return void socket.end("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
    const offered = (req.headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim());
    const auth =
      req.headers.authorization === `Bearer ${this.key}`
        ? "header"
        : offered[0] === SUBPROTOCOL && offered[1] === this.key
          ? "subprotocol"
          : undefined;
    if (!auth || req.url !== "/v1/stream") {
      return void socket.end(`HTTP/1.1 ${auth ? 404 : 401} No\r\nContent-Length: 0\r\n\r\n`);
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const c: FakeConnection = { ws, auth, path: req.url ?? "", protocol: ws.protocol, received: [] };
      this.open.add(c);
      this.connections.push(c);
      ws.on("close", () => this.open.delete(c));
      ws.on("error", () => this.open.delete(c));
      ws.on("message", (data, binary) => this.message(c, binary ? "" : data.toString()));
    });
  }

  private message(c: FakeConnection, text: string): void {
    if (text === "ping") {
      c.received.push("ping");
      if (!this.mute) c.ws.send("pong");
      return;
    }
    const m = JSON.parse(text) as ClientMessage;
    c.received.push(m);
    if (this.mute) return;
    if (m.t === "hello") {
      c.hello = m;
      if (this.ignoreHello) return;
      const missed = m.since === undefined ? undefined : this.missedSince(m.since);
      if (missed) for (const p of missed) c.ws.send(this.text(p));
      else c.ws.send(this.text(this.snapshot()));
    } else if (m.t === "resync") {
      c.ws.send(this.text(this.snapshot()));
    }
  }

  private missedSince(since: number): PatchMessage[] | undefined {
    if (!this.resume) return undefined;
    if (since === this.version) return [];
    const i = this.log.findIndex((p) => p.prev === since);
    return i < 0 ? undefined : this.log.slice(i);
  }
}

/** Polls `predicate` every 5 ms until it holds; fails after `timeoutMs` with `what`. */
export const waitFor = async (predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> => {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** Resolves with the next payload of a client event. */
export const nextEvent = <E extends keyof ClientEvents>(client: KillswitchClient, event: E): Promise<ClientEvents[E]> =>
  new Promise((resolve) => {
    const off = client.on(event, (payload) => {
      off();
      resolve(payload);
    });
  });
