/**
 * Another process holds the database's write lock (BEGIN IMMEDIATE, a change in
 * progress). libsql's local driver would wait for it on the event loop; nothing
 * here may: health, reads, snapshots, OFREP (also with a key never used before,
 * whose lastUsedAt is a write) and the stream answer while it is held, and a
 * write waits for it asynchronously, within its budget, then answers 503 busy.
 * How long each answer takes is measured by bench/db-faults, not here.
 */
import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { holdWriteLock, type LockHolder } from "../../support/lock-holder.js";
import { tempDir } from "../../support/temp-db.js";
import { openRawSocket } from "../../e2e/support/raw-socket.js";
import { waitFor } from "../../e2e/support/wait-for.js";
import { ENV, FLAG, startFaultServer, type FaultServer } from "./fault-server.js";

let dir: string;
let s: FaultServer | undefined;
let holder: LockHolder | undefined;

afterEach(async () => {
  await holder?.release().catch(() => {});
  holder = undefined;
  await s?.server.close();
  s = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function start(writeBudgetMs: number): Promise<FaultServer> {
  dir = tempDir();
  s = await startFaultServer(dir, { writeBudgetMs });
  return s;
}

describe("while another process holds the write lock", () => {
  it("answers health, readiness, reads, snapshots, OFREP with a never-used key and the stream", async () => {
    const { api, keys, file } = await start(300);
    holder = await holdWriteLock(file);

    expect((await api("GET", "/healthz")).status).toBe(200);
    expect((await api("GET", "/v1/flags", { key: keys.admin })).status).toBe(200);
    expect((await api("GET", `/v1/envs/${ENV}/snapshot`, { key: keys.admin })).body).toMatchObject({ version: 1 });
    const ofrep = await api("POST", `/ofrep/v1/evaluate/flags/${FLAG}`, { key: keys.sdk, json: { context: { targetingKey: "u1" } } });
    expect(ofrep).toMatchObject({ status: 200, body: { key: FLAG, value: true } });
    const socket = await openRawSocket(s!.server.url, keys.sdk);
    socket.ws.send(JSON.stringify({ t: "hello", protocol: 1, instance: "i-1", app: "test", sdk: "raw/1" }));
    expect(await socket.waitFor((m) => m !== "pong" && m.t === "snapshot")).toMatchObject({ v: 1 });
    socket.ws.close();
    // Another writer holding the lock is a database that takes writes.
    expect((await api("GET", "/readyz")).status).toBe(200);
  });

  it("answers a write that gets no lock within its budget 503 busy with Retry-After, and writes nothing", async () => {
    const { api, keys, file, flip, errors } = await start(300);
    holder = await holdWriteLock(file);
    const res = await flip(false);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(res.body).toMatchObject({ type: "https://killswitch.dev/problems/busy", status: 503 });
    await holder.release();
    holder = undefined;
    expect((await api("GET", `/v1/envs/${ENV}/flags/${FLAG}`, { key: keys.admin })).body).toMatchObject({ enabled: true, version: 1 });
    expect((await flip(false)).body).toMatchObject({ version: 2 });
    expect(errors).toEqual([]);
  });

  it("lets a waiting write land once the lock is released, serving other requests meanwhile", async () => {
    const { api, keys, file, flip } = await start(60_000);
    holder = await holdWriteLock(file);
    let settled = false;
    const write = flip(false).finally(() => (settled = true));
    expect((await api("GET", "/healthz")).status).toBe(200);
    expect((await api("GET", "/v1/flags", { key: keys.admin })).status).toBe(200);
    expect(settled).toBe(false);
    await holder.release();
    holder = undefined;
    expect(await write).toMatchObject({ status: 200, body: { version: 2 } });
  });

  it("records the never-used key's lastUsedAt once the lock is free", async () => {
    const { api, keys, file } = await start(300);
    holder = await holdWriteLock(file);
    await api("POST", `/ofrep/v1/evaluate/flags/${FLAG}`, { key: keys.sdk, json: { context: { targetingKey: "u1" } } });
    await holder.release();
    holder = undefined;
    await waitFor(
      async () => {
        const list = await api("GET", "/v1/keys", { key: keys.admin });
        return list.body.items.find((k: { id: string }) => k.id === keys.sdkId)?.lastUsedAt !== null;
      },
      20_000,
      "lastUsedAt of the sdk key",
      100,
    );
  });
});
