import { CLOSE } from "@killswitch/sdk/protocol.js";
import { afterEach, describe, expect, it } from "vitest";
import { eventually, startHarness, TestClient, type Harness } from "./harness.js";

let h: Harness;
afterEach(async () => h?.close());

const hello = { t: "hello", protocol: 1, sdk: "@killswitch/sdk@0.1.0", app: "evil", instance: "x" };

/** Each case: frames sent in order (after the snapshot when `afterHello`), and the close code expected. */
const cases: [string, { afterHello: boolean; frames: (string | Buffer | object)[]; code: number }][] = [
  ["a frame that is not JSON", { afterHello: true, frames: ["{nope"], code: CLOSE.POLICY }],
  ["a JSON value that is not an object", { afterHello: true, frames: ["42"], code: CLOSE.POLICY }],
  ["an unknown message type", { afterHello: true, frames: [{ t: "subscribe", env: "staging" }], code: CLOSE.POLICY }],
  ["a binary frame", { afterHello: true, frames: [Buffer.from([1, 2, 3])], code: CLOSE.POLICY }],
  ["hello twice", { afterHello: true, frames: [hello], code: CLOSE.POLICY }],
  ["an ack before hello", { afterHello: false, frames: [{ t: "ack", v: 0 }], code: CLOSE.POLICY }],
  ["a resync before hello", { afterHello: false, frames: [{ t: "resync" }], code: CLOSE.POLICY }],
  ["an ack of a version never sent", { afterHello: true, frames: [{ t: "ack", v: 99 }], code: CLOSE.POLICY }],
  ["an ack whose version is not a number", { afterHello: true, frames: [{ t: "ack", v: "1" }], code: CLOSE.POLICY }],
  ["a hello of another protocol", { afterHello: false, frames: [{ ...hello, protocol: 2 }], code: CLOSE.POLICY }],
  ["a hello without an instance", { afterHello: false, frames: [{ ...hello, instance: "" }], code: CLOSE.POLICY }],
  ["a frame over the size limit", { afterHello: true, frames: ["x".repeat(20_000)], code: CLOSE.TOO_BIG }],
];

describe("hostile client frames", () => {
  it.each(cases)("%s closes that socket only", async (_name, { afterHello, frames, code }) => {
    h = await startHarness();
    const neighbour = await TestClient.open(h.url, "ks_tenant0001_prod");
    neighbour.hello();
    expect(await neighbour.next()).toMatchObject({ t: "snapshot" });

    const evil = await TestClient.open(h.url, "ks_tenant0001_prod");
    if (afterHello) {
      evil.send(hello);
      expect(await evil.next()).toMatchObject({ t: "snapshot" });
    }
    for (const f of frames) {
      if (Buffer.isBuffer(f)) evil.ws.send(f, { binary: true });
      else evil.send(f);
    }
    const { code: got } = await evil.closed;
    expect(got).toBe(code);

    h.commit("production", "model.fable-5", false);
    expect(await neighbour.next()).toMatchObject({ t: "patch", v: 1 });
    neighbour.send({ t: "ack", v: 1 });
    neighbour.send("ping");
    expect(await neighbour.next()).toBe("pong");
    await eventually(() => expect(h.hub.stats().connections).toBe(1));
    expect(h.tracker.instances("tenant0001", "production").items.map((i) => i.instance)).not.toContain("x");
  });
});
