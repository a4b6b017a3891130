/**
 * The stream's limits in the Worker's hibernating hub (src/core/stream/limits.ts
 * decides them for both hosts), with the real hub under `wrangler dev`
 * (hub-harness/). Time is the hub's injected clock, moved by the test
 * (`POST /clock`), and the sweep the object's alarm runs is called by the
 * test (`POST /sweep`); nothing waits for a deadline to pass.
 *
 * A `ping` is answered by the runtime and never reaches the object: the hub
 * counts it as heard through the runtime's auto-response timestamp, which is
 * real time. The silence test therefore starts the hub's clock 60 s behind the
 * real one and moves it to the real time: the hello, stamped on the hub's
 * clock, is then 60 s old, and a ping sent now is current.
 */
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLOSE, SUBPROTOCOL } from "@killswitch/sdk/protocol.js";
import { startWranglerDev, type WranglerDev } from "../support/wrangler-dev.js";
import { openStream, type StreamClient } from "./stream-client.js";

const config = fileURLToPath(new URL("./hub-harness/wrangler.toml", import.meta.url));

let dev: WranglerDev;

beforeAll(async () => {
  dev = await startWranglerDev({ config });
}, 120_000);

afterAll(async () => {
  await dev?.stop();
});

async function call(object: string, method: "GET" | "POST", path: string, body?: unknown): Promise<any> {
  const sep = path.includes("?") ? "&" : "?";
  const res = await fetch(`${dev.url}${path}${sep}object=${object}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  expect(res.status, `${method} ${path}\n${dev.output()}`).toBe(200);
  return res.json();
}

function open(object: string, key = "k1"): Promise<StreamClient> {
  return openStream(dev.url, [SUBPROTOCOL], {}, `?object=${object}&key=${key}`);
}

async function helloed(object: string, instance: string, key = "k1"): Promise<StreamClient> {
  const client = await open(object, key);
  client.ws.send(JSON.stringify({ t: "hello", protocol: 1, sdk: "test/1", app: "hub-limits", instance }));
  expect(JSON.parse(await client.next())).toMatchObject({ t: "snapshot" });
  return client;
}

/** The socket is open: a ping comes back. */
async function expectOpen(client: StreamClient): Promise<void> {
  client.ws.send("ping");
  expect(await client.next()).toBe("pong");
}

describe("the hibernating hub's limits", () => {
  it("closes a socket without hello 10 s after its upgrade, from the alarm it set", async () => {
    const object = "hello-deadline";
    // The hub's clock stopped, an hour ahead (an alarm in the past would fire and be gone).
    const upgradedAt = Date.now() + 3_600_000;
    await call(object, "POST", `/clock?at=${upgradedAt}`);
    const mute = await open(object);
    // Set for the hello deadline plus the hub's one-second slack.
    expect((await call(object, "GET", "/alarm")).alarm).toBe(upgradedAt + 10_000 + 1_000);

    await call(object, "POST", `/clock?at=${upgradedAt + 9_000}`);
    await call(object, "POST", "/sweep");
    await expectOpen(mute); // pings do not stand for a hello
    await call(object, "POST", `/clock?at=${upgradedAt + 10_500}`);
    await call(object, "POST", "/sweep");
    expect(await mute.closed).toEqual({ code: CLOSE.POLICY, reason: "no hello within 10 s" });
  });

  it("closes a socket silent for 30 s, and keeps one whose pings the runtime answered without waking the object", async () => {
    const object = "silence";
    await call(object, "POST", "/clock?offset=-60000");
    const silent = await helloed(object, "silent");
    const pinging = await helloed(object, "pinging");
    const before = (await call(object, "GET", "/messages")).messages;

    await call(object, "POST", "/clock?offset=0"); // 60 s later on the hub's clock
    const pingedFrom = Date.now();
    await expectOpen(pinging);
    await expectOpen(pinging);
    // Auto-responses: no frame reached the object.
    expect((await call(object, "GET", "/messages")).messages).toBe(before);

    await call(object, "POST", "/sweep");
    const sweptBy = Date.now();
    expect(await silent.closed).toEqual({ code: CLOSE.POLICY, reason: "nothing heard for 30 s; ping at least every 10 s" });
    await expectOpen(pinging);
    expect((await call(object, "GET", "/connections")).map((c: { instance: string }) => c.instance)).toEqual(["pinging"]);
    // The next alarm: the pinging socket's silence deadline, 30 s after its last ping before the
    // sweep, plus the slack. That ping's auto-response was stamped between the two readings.
    const { alarm } = await call(object, "GET", "/alarm");
    expect(alarm).toBeGreaterThanOrEqual(pingedFrom + 30_000 + 1_000);
    expect(alarm).toBeLessThanOrEqual(sweptBy + 30_000 + 1_000);
    pinging.ws.close();
  });

  it("counts a frame as heard: a socket that acks is not silent", async () => {
    const object = "frames";
    await call(object, "POST", "/clock?offset=-60000");
    const acking = await helloed(object, "acking");
    await call(object, "POST", "/clock?offset=0");
    acking.ws.send(JSON.stringify({ t: "ack", v: 1 }));
    await expect.poll(async () => (await call(object, "GET", "/acks")).acks).toBe(1);
    await call(object, "POST", "/sweep");
    await expectOpen(acking);
    acking.ws.close();
  });

  it("lets an object whose socket only pings hibernate: the pings never wake it, and its frames are read after the wake", async () => {
    // The one test here on real time: the platform's own (about 10 s idle), which no clock of ours moves.
    const object = "hibernation";
    await call(object, "POST", "/limits", { helloTimeoutMs: 3_600_000, silenceLimitMs: 3_600_000 }); // no alarm meanwhile
    const client = await helloed(object, "pinging");
    for (let i = 0; i < 10; i++) {
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await expectOpen(client);
    }
    const pingedUntil = Date.now();
    // This request wakes the object; nothing did since it went to sleep.
    const { constructions, constructedAt } = await call(object, "GET", "/constructions");
    expect(constructedAt).toBeGreaterThanOrEqual(pingedUntil);
    client.ws.send(JSON.stringify({ t: "ack", v: 1 }));
    await expect.poll(async () => (await call(object, "GET", "/acks")).acks).toBe(1);
    expect((await call(object, "GET", "/constructions")).constructions).toBe(constructions);
    client.ws.close();
  }, 90_000);

  it("closes a socket over its key's limit with 4029, counts keys apart, and counts again after a wake", async () => {
    const object = "per-key";
    await call(object, "POST", "/limits", { maxConnectionsPerKey: 2 });
    const first = await helloed(object, "a");
    await helloed(object, "b");
    const third = await open(object);
    expect(await third.closed).toEqual({
      code: CLOSE.TOO_MANY_CONNECTIONS,
      reason: "this key already holds 2 open streams here; reconnect later",
    });
    await helloed(object, "other-key", "k2");

    // A new hub knows nothing in memory: it counts the key's open sockets.
    await call(object, "POST", "/limits", { maxConnectionsPerKey: 2 });
    expect((await (await open(object)).closed).code).toBe(CLOSE.TOO_MANY_CONNECTIONS);

    first.ws.close();
    await first.closed;
    await expect.poll(async () => (await call(object, "GET", "/connections")).length).toBe(2);
    await expectOpen(await helloed(object, "c"));
  });

  it("answers at most the resync allowance, then closes with 1008", async () => {
    const object = "resync";
    const flooder = await helloed(object, "flooder");
    for (let i = 0; i < 200; i++) flooder.ws.send(JSON.stringify({ t: "resync" }));
    expect(await flooder.closed).toEqual({ code: CLOSE.POLICY, reason: "too many resync: at most 5, then 1 per 12 s" });
    const answered: string[] = [];
    for (;;) {
      const frame = await flooder.next(100).catch(() => null);
      if (frame === null) break;
      answered.push(frame);
    }
    expect(answered.length).toBeLessThanOrEqual(5);
    expect(answered.every((f) => JSON.parse(f).t === "snapshot")).toBe(true);
  });
});
