import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { HelloMessage, Segment, ServerMessage, WireFlag } from "@killswitch/sdk";
import { WebSocket, type ClientOptions } from "ws";
import type { CommittedChange, StreamSource } from "../../../src/core/broadcaster.js";
import { PropagationTracker } from "../../../src/node/stream/propagation-tracker.js";
import { createStreamHub, type StreamHub, type StreamHubOptions } from "../../../src/node/stream/index.js";
import type { StreamPrincipal, StreamRejection } from "../../../src/node/stream/stream-auth.js";

export const TENANT = "tenant0001";
export const OTHER_TENANT = "tenant0002";

/** Keys the fake authenticator knows. */
export const KEYS: Record<string, StreamPrincipal | StreamRejection> = {
  ks_tenant0001_prod: { tenantId: TENANT, env: "production", keyId: "key-prod" },
  ks_tenant0001_prod2: { tenantId: TENANT, env: "production", keyId: "key-prod-2" },
  ks_tenant0001_staging: { tenantId: TENANT, env: "staging", keyId: "key-staging" },
  ks_tenant0002_prod: { tenantId: OTHER_TENANT, env: "production", keyId: "key-other" },
  ks_tenant0001_admin: { status: 403, detail: "an admin key cannot stream; use an sdk key" },
};

export function flag(key: string, enabled: boolean, version: number): WireFlag {
  return {
    key,
    kind: "boolean",
    variants: { on: true, off: false },
    enabled,
    offVariant: "off",
    rules: [],
    fallthrough: { variant: "on" },
    failMode: "closed",
    version,
  };
}

/** An in-memory store with a change log that holds the last `logSize` changes per environment. */
export class FakeSource implements StreamSource {
  readonly #envs = new Map<string, { version: number; flags: Record<string, WireFlag>; log: CommittedChange[] }>();
  snapshotCalls = 0;
  constructor(
    readonly logSize = 100,
    /** Commit times: the tests' clock, so that ack latencies are exact. */
    readonly now: () => number = Date.now,
  ) {}

  #env(tenantId: string, env: string) {
    const key = `${tenantId}/${env}`;
    let state = this.#envs.get(key);
    if (!state) this.#envs.set(key, (state = { version: 0, flags: {}, log: [] }));
    return state;
  }

  /** Commit a flag change and return what the core would publish. */
  commit(tenantId: string, env: string, flagKey: string, enabled: boolean): CommittedChange {
    const state = this.#env(tenantId, env);
    const version = state.version + 1;
    const f = flag(flagKey, enabled, version);
    state.flags[flagKey] = f;
    const change: CommittedChange = {
      tenantId,
      env,
      version,
      prev: state.version,
      committedAt: this.now(),
      flags: { [flagKey]: f },
      segments: {},
      removed: { flags: [], segments: [] },
    };
    state.version = version;
    state.log.push(change);
    if (state.log.length > this.logSize) state.log.shift();
    return change;
  }

  async snapshot(tenantId: string, env: string) {
    this.snapshotCalls++;
    const state = this.#env(tenantId, env);
    return { version: state.version, flags: { ...state.flags }, segments: {} as Record<string, Segment> };
  }

  async changesSince(tenantId: string, env: string, since: number) {
    const state = this.#env(tenantId, env);
    const first = state.log[0];
    if (since >= state.version) return [];
    if (!first || first.prev > since) return null;
    return state.log.filter((c) => c.version > since);
  }
}

export interface Harness {
  url: string;
  hub: StreamHub;
  tracker: PropagationTracker;
  source: FakeSource;
  server: Server;
  /** Commit in the fake store and publish through the hub, as the core does. */
  commit(env: string, flagKey: string, enabled: boolean, tenantId?: string): CommittedChange;
  close(): Promise<void>;
}

export async function startHarness(options: Partial<StreamHubOptions> & { logSize?: number } = {}): Promise<Harness> {
  const source = new FakeSource(options.logSize, options.now);
  const tracker = options.tracker ?? new PropagationTracker({ now: options.now });
  const hub = createStreamHub({
    source,
    tracker,
    authenticate: (key) => KEYS[key] ?? { status: 401, detail: "unknown key" },
    ...options,
  });
  const server = createServer((_req, res) => res.writeHead(404).end());
  server.on("upgrade", hub.handleUpgrade);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    hub,
    tracker,
    source,
    server,
    commit(env, flagKey, enabled, tenantId = TENANT) {
      const change = source.commit(tenantId, env, flagKey, enabled);
      hub.publish(change);
      return change;
    },
    async close() {
      await hub.close(200);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A `ws` client that queues what it receives, for step-by-step assertions. */
export class TestClient {
  readonly messages: (ServerMessage | "pong")[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly #waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on("message", (data: Buffer) => {
      const text = data.toString();
      this.messages.push(text === "pong" ? "pong" : (JSON.parse(text) as ServerMessage));
      for (const w of this.#waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static async open(url: string, key: string | null, options: ClientOptions & { protocols?: string[] } = {}) {
    const { protocols, ...rest } = options;
    const headers = key ? { authorization: `Bearer ${key}` } : undefined;
    const ws = new WebSocket(`${url}/v1/stream`, protocols, { headers, ...rest });
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return client;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  hello(since?: number, instance = `i-${Math.random().toString(36).slice(2)}`): void {
    const hello: HelloMessage = { t: "hello", protocol: 1, sdk: "@killswitch/sdk@0.1.0", app: "test", instance };
    if (since !== undefined) hello.since = since;
    this.send(hello);
  }

  /** The next message not yet taken, waiting up to `timeoutMs`. */
  async next(timeoutMs = 2_000): Promise<ServerMessage | "pong"> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("no message arrived");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.messages.shift()!;
  }

  /** Wait `ms` and return whatever arrived meanwhile. */
  async drain(ms = 100): Promise<(ServerMessage | "pong")[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.messages.splice(0);
  }

  close(): void {
    this.ws.close();
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until `check` passes (for server-side effects of client frames). */
export async function eventually(check: () => void, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(10);
    }
  }
}
