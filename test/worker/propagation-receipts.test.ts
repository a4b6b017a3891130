/**
 * Propagation receipts and the instance list, the same test on both hosts:
 * the Node host in-process (its `ws` hub and its tracker)
 * and the Worker host under `wrangler dev` (hibernatable sockets and the
 * object's ledger in its storage; both the core's one receipt model). Real SDK sockets, real acks, one answer shape.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PatchMessage } from "@killswitch/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../../src/node/server.js";
import { nodeStreamHost } from "../../src/node/stream/index.js";
import { apiFor, type Api } from "../support/api.js";
import { latenciesFromAckTimes } from "../support/receipt-latencies.js";
import type { ContractTarget } from "../support/contract-target.js";
import { startWranglerDev } from "../support/wrangler-dev.js";
import { openStream, type StreamClient } from "./stream-client.js";

interface Host {
  target: ContractTarget;
  /** Stops and starts the host over the same data, where the test can do that. */
  restart(): Promise<void>;
}

const ROOT_TOKEN = randomBytes(24).toString("base64url");

const HOSTS = {
  async node(): Promise<Host> {
    const dir = mkdtempSync(join(tmpdir(), "killswitch-receipts-"));
    const start = () =>
      startServer({
        databaseUrl: `file:${join(dir, "killswitch.db")}`,
        port: 0,
        rootToken: ROOT_TOKEN,
        stream: nodeStreamHost({ onError: () => {} }),
        onError: () => {},
      });
    let server = await start();
    return {
      target: {
        get baseUrl() {
          return server.url;
        },
        rootToken: ROOT_TOKEN,
        async close() {
          await server.close();
          rmSync(dir, { recursive: true, force: true });
        },
      },
      async restart() {
        await server.close();
        server = await start();
      },
    };
  },
  async worker(): Promise<Host> {
    const persistDir = mkdtempSync(join(tmpdir(), "killswitch-receipts-"));
    const start = () => startWranglerDev({ persistDir, vars: { KILLSWITCH_ROOT_TOKEN: ROOT_TOKEN } });
    let dev = await start();
    return {
      target: {
        get baseUrl() {
          return dev.url;
        },
        rootToken: ROOT_TOKEN,
        async close() {
          await dev.stop();
          rmSync(persistDir, { recursive: true, force: true });
        },
      },
      async restart() {
        await dev.stop();
        dev = await start();
      },
    };
  },
};

describe.each(Object.keys(HOSTS) as (keyof typeof HOSTS)[])("propagation receipts on the %s host", (hostName) => {
  let host: Host;
  let api: Api;
  const sockets: StreamClient[] = [];

  beforeAll(async () => {
    host = await HOSTS[hostName]();
    api = apiFor(host.target);
  }, 120_000);
  afterAll(async () => {
    for (const s of sockets) s.ws.terminate();
    await host?.target.close();
  });

  async function tenant() {
    const created = await api("POST", "/v1/tenants", { key: ROOT_TOKEN, json: { name: "receipts" } });
    expect(created.status).toBe(201);
    const admin: string = created.body.adminKey;
    const sdk = await api("POST", "/v1/keys", { key: admin, json: { name: "sdk", role: "sdk", env: "production" } });
    expect((await api("POST", "/v1/flags", { key: admin, json: { key: "model.fable-5", kind: "boolean" } })).status).toBe(201);
    return { admin, sdk: sdk.body.secret as string };
  }

  /** An SDK instance that has said hello and applied its first state (acked). */
  async function instance(sdkKey: string, name: string): Promise<StreamClient & { version: number }> {
    const client = await openStream(host.target.baseUrl, ["killswitch.v1", sdkKey]);
    sockets.push(client);
    client.ws.send(JSON.stringify({ t: "hello", protocol: 1, sdk: "@killswitch/sdk@0.1.0", app: "checkout", instance: name }));
    const first = JSON.parse(await client.next());
    expect(first.t).toBe("snapshot");
    client.ws.send(JSON.stringify({ t: "ack", v: first.v }));
    return Object.assign(client, { version: first.v as number });
  }

  // Patches are checked as they arrive, and the one of version v is answered.
  async function nextPatch(client: StreamClient, v: number): Promise<PatchMessage> {
    for (;;) {
      const frame = JSON.parse(await client.next());
      if (frame.t === "patch" && frame.v === v) return frame;
    }
  }

  const killAnswer = async (admin: string, reason = "directive"): Promise<{ version: number; audit: { seq: number; hash: string } }> => {
    const res = await api("POST", "/v1/envs/production/flags/model.fable-5/kill", { key: admin, json: { reason } });
    expect(res.status).toBe(200);
    return res.body;
  };
  const kill = async (admin: string, reason = "directive"): Promise<number> => (await killAnswer(admin, reason)).version;
  const restore = async (admin: string): Promise<number> => {
    const res = await api("POST", "/v1/envs/production/flags/model.fable-5/restore", { key: admin, json: { reason: "lifted" } });
    expect(res.status).toBe(200);
    return res.body.version;
  };
  const receiptOf = async (admin: string, version: number) => {
    const res = await api("GET", `/v1/envs/production/changes/${version}`, { key: admin });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };

  it("counts the instances connected at commit, their acks and latencies, and names the pending ones", async () => {
    const t = await tenant();
    const a = await instance(t.sdk, "i-a");
    const b = await instance(t.sdk, "i-b");
    const version = await kill(t.admin);
    await Promise.all([nextPatch(a, version), nextPatch(b, version)]);
    a.ws.send(JSON.stringify({ t: "ack", v: version }));
    // Connected after the commit: its snapshot already holds the change, it is not counted.
    const late = await instance(t.sdk, "i-late");
    expect(late.version).toBe(version);

    await expect.poll(() => receiptOf(t.admin, version).then((r) => r.acked)).toBe(1);
    const partial = await receiptOf(t.admin, version);
    expect(partial).toEqual({
      version,
      committedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      connected: 2,
      acked: 1,
      pending: [{ instance: "i-b", app: "checkout", appliedVersion: version - 1 }],
      latencyMs: { p50: expect.any(Number), p99: expect.any(Number), max: expect.any(Number) },
      status: "pending",
      complete: false,
      audit: { seq: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
      final: false,
    });
    // The one ack so far is instance a's, whose ack time the instance list shows: the receipt measured that.
    const listed = (await api("GET", "/v1/envs/production/instances", { key: t.admin })).body.items as { instance: string; lastAckAt: string }[];
    expect(partial.latencyMs).toEqual(latenciesFromAckTimes(partial.committedAt, [listed.find((i) => i.instance === "i-a")!.lastAckAt]));

    b.ws.send(JSON.stringify({ t: "ack", v: version }));
    await expect.poll(() => receiptOf(t.admin, version)).toMatchObject({ connected: 2, acked: 2, pending: [], status: "complete", complete: true });
  });

  it("does not credit an ack of an older version to the newest change", async () => {
    const t = await tenant();
    const a = await instance(t.sdk, "i-a");
    const first = await kill(t.admin);
    const second = await restore(t.admin);
    await nextPatch(a, second);
    a.ws.send(JSON.stringify({ t: "ack", v: first })); // applied the first, not yet the second
    await expect.poll(() => receiptOf(t.admin, first)).toMatchObject({ acked: 1, status: "complete" });
    expect(await receiptOf(t.admin, second)).toMatchObject({
      connected: 1,
      acked: 0,
      pending: [{ instance: "i-a", appliedVersion: first }],
      status: "pending",
      complete: false,
    });
  });

  it("carries the audit entry of each change in its patch, the snapshot and the receipt", async () => {
    const t = await tenant();
    const a = await instance(t.sdk, "i-a");
    const killed = await killAnswer(t.admin);
    expect(killed.audit).toEqual({ seq: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect((await nextPatch(a, killed.version)).audit).toEqual(killed.audit);
    expect((await receiptOf(t.admin, killed.version)).audit).toEqual(killed.audit);

    // A new connection's snapshot, and a resuming one's catch-up patch, name the same entry.
    const fresh = await openStream(host.target.baseUrl, ["killswitch.v1", t.sdk]);
    sockets.push(fresh);
    fresh.ws.send(JSON.stringify({ t: "hello", protocol: 1, sdk: "test/1", app: "checkout", instance: "i-fresh" }));
    expect(JSON.parse(await fresh.next())).toMatchObject({ t: "snapshot", v: killed.version, audit: killed.audit });
    const resuming = await openStream(host.target.baseUrl, ["killswitch.v1", t.sdk]);
    sockets.push(resuming);
    resuming.ws.send(JSON.stringify({ t: "hello", protocol: 1, sdk: "test/1", app: "checkout", instance: "i-back", since: a.version }));
    expect(JSON.parse(await resuming.next())).toMatchObject({ t: "patch", v: killed.version, audit: killed.audit });
  });

  it("is complete when an instance that never acked has gone", async () => {
    const t = await tenant();
    const a = await instance(t.sdk, "i-a");
    const gone = await instance(t.sdk, "i-gone");
    const version = await kill(t.admin);
    await Promise.all([nextPatch(a, version), nextPatch(gone, version)]);
    gone.ws.close();
    await gone.closed;
    a.ws.send(JSON.stringify({ t: "ack", v: version }));
    await expect.poll(() => receiptOf(t.admin, version)).toMatchObject({ connected: 2, acked: 1, pending: [], status: "complete", complete: true });
  });

  it("lists the connected instances, all of them or ?limit=", async () => {
    const t = await tenant();
    await instance(t.sdk, "i-1");
    await instance(t.sdk, "i-2");
    await expect
      .poll(() => api("GET", "/v1/envs/production/instances", { key: t.admin }).then((r) => r.body))
      .toMatchObject({ total: 2, items: [{ appliedVersion: 1 }, { appliedVersion: 1 }] });
    const all = (await api("GET", "/v1/envs/production/instances", { key: t.admin })).body;
    expect(all.items.map((i: { instance: string }) => i.instance).sort()).toEqual(["i-1", "i-2"]);
    expect(all.items[0]).toEqual({
      instance: expect.any(String),
      app: "checkout",
      sdk: "@killswitch/sdk@0.1.0",
      connectedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      appliedVersion: 1,
      lastAckAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    const one = await api("GET", "/v1/envs/production/instances?limit=1", { key: t.admin });
    expect(one.body).toMatchObject({ total: 2, items: [expect.any(Object)] });
    expect(one.body.items).toHaveLength(1);
    expect((await api("GET", "/v1/envs/production/instances?limit=0", { key: t.admin })).status).toBe(400);
    expect((await api("GET", "/v1/envs/staging/instances", { key: t.admin })).status).toBe(404);
  });

  it("answers 404 for a version it has no record of, an unknown environment, and 403 to an sdk key", async () => {
    const t = await tenant();
    const version = await kill(t.admin);
    // Nobody was connected: nothing was reached, and the receipt says so.
    expect(await receiptOf(t.admin, version)).toMatchObject({ connected: 0, acked: 0, pending: [], status: "no-instances", complete: false });
    for (const path of ["/v1/envs/production/changes/999", "/v1/envs/production/changes/abc", "/v1/envs/staging/changes/1"]) {
      const res = await api("GET", path, { key: t.admin });
      expect(res.status, path).toBe(404);
      expect(res.body.type).toBe("https://killswitch.dev/problems/not-found");
    }
    expect((await api("GET", `/v1/envs/production/changes/${version}`, { key: t.sdk })).status).toBe(403);
  });

  // A receipt is saved once final (here: complete), and a restarted host answers the saved one.
  it("answers the saved receipt after a restart, marked final", async () => {
    const t = await tenant();
    const a = await instance(t.sdk, "i-a");
    const version = await restore(t.admin).then(() => kill(t.admin));
    await nextPatch(a, version);
    a.ws.send(JSON.stringify({ t: "ack", v: version }));
    await expect.poll(() => receiptOf(t.admin, version).then((r) => r.final), { timeout: 10_000 }).toBe(true);
    const before = await receiptOf(t.admin, version);
    expect(before).toMatchObject({ connected: 1, acked: 1, pending: [], status: "complete", complete: true, savedBecause: "complete" });
    a.ws.terminate();
    await host.restart();

    const after = await api("GET", `/v1/envs/production/changes/${version}`, { key: t.admin });
    expect(after.status).toBe(200);
    expect(after.body).toEqual(before);
  }, 120_000);

  it("saves a receipt nobody could receive (no instance at commit) as final at once", async () => {
    const t = await tenant();
    const version = await kill(t.admin);
    await expect
      .poll(() => receiptOf(t.admin, version), { timeout: 10_000 })
      .toMatchObject({ connected: 0, status: "no-instances", complete: false, final: true, savedBecause: "no-instances" });
  });
});
