/**
 * The Worker hub keeps each socket's state in memory while its object is
 * awake and writes the attachment on a hello, a snapshot, an ack, or a
 * second after a broadcast the socket has not acked. This checks what an
 * object rebuilt after hibernation reads back, with the real hub under
 * `wrangler dev` (hub-harness/: `POST /wake` swaps in a new hub over the same
 * sockets, as a wake does): acks and pending instances stay exact, an ack of
 * a patch sent before the wake is accepted, and no patch is sent twice.
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

async function call(method: "GET" | "POST", path: string): Promise<any> {
  const res = await fetch(`${dev.url}${path}`, { method, signal: AbortSignal.timeout(10_000) });
  expect(res.status, `${method} ${path}\n${dev.output()}`).toBe(200);
  return res.json();
}

async function until<T>(read: () => Promise<T>, check: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const acks = async () => (await call("GET", "/acks")).acks as number;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function connect(instance: string): Promise<StreamClient> {
  const client = await openStream(dev.url, [SUBPROTOCOL]);
  client.ws.send(JSON.stringify({ t: "hello", protocol: 1, sdk: "test/1", app: "hub-wake", instance }));
  return client;
}

async function nextMessage(client: StreamClient): Promise<any> {
  return JSON.parse(await client.next());
}

/** Nothing more arrives within `ms`. */
async function expectQuiet(client: StreamClient, ms = 300): Promise<void> {
  await expect(client.next(ms)).rejects.toThrow(/no frame/);
}

describe("the hibernating hub across a wake", () => {
  it("reads back what each socket was sent and acked", async () => {
    const a = await connect("a");
    const b = await connect("b");
    const first = await nextMessage(a);
    expect(first).toMatchObject({ t: "snapshot" });
    expect(await nextMessage(b)).toMatchObject({ t: "snapshot", v: first.v });
    const v1: number = first.v;
    const before = await acks();
    a.ws.send(JSON.stringify({ t: "ack", v: v1 }));
    b.ws.send(JSON.stringify({ t: "ack", v: v1 }));
    // Handled before the broadcast, so that no ack of b's carries what the broadcast sent it.
    await until(acks, (n) => n === before + 2, "both acks of the snapshot handled");

    const { version: v2 } = await call("POST", "/publish");
    expect(await nextMessage(a)).toMatchObject({ t: "patch", prev: v1, v: v2 });
    expect(await nextMessage(b)).toMatchObject({ t: "patch", prev: v1, v: v2 });
    a.ws.send(JSON.stringify({ t: "ack", v: v2 })); // b does not ack v2 before the wake
    await until(acks, (n) => n === before + 3, "three acks handled");
    // Past the hub's one-second write of what b was sent: hibernation cannot come sooner.
    await sleep(1_500);

    await call("POST", "/wake");
    const connections = await call("GET", "/connections");
    expect(connections.map((c: any) => [c.instance, c.sentVersion, c.appliedVersion, c.firstVersion])).toEqual([
      ["a", v2, v2, v1],
      ["b", v2, v1, v1],
    ]);
    expect(connections[0].lastAckAt).toEqual(expect.any(Number));
    expect((await call("GET", `/pending?v=${v2}`)).map((p: any) => p.instance)).toEqual(["b"]);

    // b's ack of the patch it got before the wake is valid, not "never sent".
    b.ws.send(JSON.stringify({ t: "ack", v: v2 }));
    await until(acks, (n) => n === before + 4, "b's ack handled after the wake");
    expect(await call("GET", `/pending?v=${v2}`)).toEqual([]);

    // The next broadcast goes once to each, from v2: nothing resent.
    const { version: v3 } = await call("POST", "/publish");
    expect(await nextMessage(a)).toMatchObject({ t: "patch", prev: v2, v: v3 });
    expect(await nextMessage(b)).toMatchObject({ t: "patch", prev: v2, v: v3 });
    await expectQuiet(a);
    await expectQuiet(b);

    // Still exact about versions never sent.
    b.ws.send(JSON.stringify({ t: "ack", v: v3 + 1 }));
    expect((await b.closed).code).toBe(CLOSE.POLICY);
    a.ws.close();
  });

  it("writes an ack at once: a wake right after it loses nothing", async () => {
    const c = await connect("c");
    const { v: v1 } = await nextMessage(c);
    const before = await acks();
    const { version: v2 } = await call("POST", "/publish");
    expect(await nextMessage(c)).toMatchObject({ t: "patch", prev: v1, v: v2 });
    c.ws.send(JSON.stringify({ t: "ack", v: v2 }));
    await until(acks, (n) => n === before + 1, "c's ack handled");

    await call("POST", "/wake");
    const mine = (await call("GET", "/connections")).find((x: any) => x.instance === "c");
    expect(mine).toMatchObject({ sentVersion: v2, appliedVersion: v2, firstVersion: v1 });
    expect((await call("GET", `/pending?v=${v2}`)).map((p: any) => p.instance)).not.toContain("c");
    c.ws.close();
  });
});
