/** Runs one conformance case against a target, step by step. */
import { expect } from "vitest";
import type { ConformanceCase, StreamTarget, TargetStream } from "./cases.js";

const HELLO = { t: "hello", protocol: 1, sdk: "conformance/1", app: "conformance" };

export async function runCase(target: StreamTarget, c: ConformanceCase): Promise<void> {
  const clients = new Map<string, TargetStream>();
  let instances = 0;
  const client = async (name = "a"): Promise<TargetStream> => {
    let stream = clients.get(name);
    if (!stream) clients.set(name, (stream = await target.open()));
    return stream;
  };
  for (const [index, s] of c.steps.entries()) {
    const where = `step ${index + 1} of "${c.name}": ${JSON.stringify(s)}`;
    if ("client" in s) {
      const stream = await client(s.as);
      if (s.client === "hello") stream.sendText(JSON.stringify({ ...HELLO, instance: `i-${++instances}`, ...(s.since === undefined ? {} : { since: s.since }) }));
      else if (s.client === "ack") stream.sendText(JSON.stringify({ t: "ack", v: s.v }));
      else if (s.client === "resync") stream.sendText(JSON.stringify({ t: "resync" }));
      else if (s.client === "text") stream.sendText(s.text);
      else if (s.client === "binary") stream.sendBinary(new Uint8Array([1, 2, 3]));
      if (s.client !== "connect") await stream.settle();
    } else if ("server" in s) {
      await target[s.server]();
    } else if (s.expect === "receipt") {
      // Acks travel to the server asynchronously: wait for the receipt to say so.
      await expect.poll(() => target.receipt(s.v), { timeout: 10_000, message: where }).toEqual({ connected: s.connected, pending: s.pending });
    } else if (s.expect === "close") {
      const closed = await (await client(s.as)).closed;
      expect(closed.code, where).toBe(s.code);
      if (s.reason !== undefined) expect(closed.reason, where).toBe(s.reason);
    } else if (s.expect === "holds") {
      const stream = await client(s.as);
      let held = -1;
      while (held !== s.v) {
        const frame = JSON.parse(await stream.next()) as { t: string; v: number; prev?: number };
        if (frame.t === "snapshot") held = frame.v;
        else if (frame.t === "patch") {
          expect(frame.prev, `${where}: a patch from a version the client does not hold`).toBe(held);
          held = frame.v;
        }
        expect(held, where).toBeLessThanOrEqual(s.v);
      }
    } else {
      const frame = JSON.parse(await (await client(s.as)).next()) as Record<string, unknown>;
      expect(frame, where).toMatchObject({ t: s.expect, v: s.v, ...(s.expect === "patch" ? { prev: s.prev } : {}) });
    }
  }
}
