/**
 * The state the hostile-server and signed-state tests defend, and the checks both
 * make: at version 5 `model.x` is killed (DISABLED) and `model.fable-5` serves off to
 * a foreign national, even to a caller whose default is `true`. A rolled-back, forged
 * or tampered state would lift both.
 */
import { expect } from "vitest";
import type { ClientOptions, KillswitchClient } from "../../src/client.js";
import type { WireFlag } from "../../src/model.js";
import { client, errors } from "./clients.js";
import { FakeServer, TEST_KEY, waitFor, type FakeConnection } from "./fake-server.js";
import { blockedForForeigners, boolFlag, foreignNationals } from "./flags.js";

export const killed = (version: number): WireFlag => boolFlag("model.x", { enabled: false, failMode: "closed", version });
export const lifted = (version: number): WireFlag => boolFlag("model.x", { enabled: true, version });
export const us = { key: "u1", nationality: "US" };
export const fr = { key: "u2", nationality: "FR" };

/** What a rolled-back or forged state serves: no kill, no segment block. */
export const liftedState = (v: number) => ({
  flags: { "model.x": lifted(v), "model.fable-5": { ...blockedForForeigners(v), rules: [] } },
  segments: {},
});

/** A fake service at version 5, the block in force. */
export async function startBlockServer(): Promise<FakeServer> {
  const server = await FakeServer.start({ flags: [killed(5), blockedForForeigners(5)], segments: [foreignNationals(5)] });
  server.version = 5;
  return server;
}

export const expectBlock = (c: KillswitchClient): void => {
  expect(c.evaluate("model.x", us, true)).toMatchObject({ value: false, reason: "DISABLED" });
  expect(c.evaluate("model.fable-5", fr, true)).toMatchObject({ value: false, reason: "TARGETING_MATCH", ruleId: "r1" });
  expect(c.evaluate("model.fable-5", us, false)).toMatchObject({ value: true });
};

export const resyncs = (conn: FakeConnection): number => conn.received.filter((m) => typeof m === "object" && m.t === "resync").length;

export interface ConnectedClient {
  c: KillswitchClient;
  conn: FakeConnection;
  /** Its `error` events. */
  seen: Error[];
}

/** A client that holds version 5 (the block), on its first connection to `server`. */
export async function connectedClient(server: FakeServer, options: Partial<ClientOptions> = {}): Promise<ConnectedClient> {
  const c = client({ url: server.url, sdkKey: TEST_KEY, reconnectDelayMs: 20, ...options });
  expect(await c.ready()).toBe("ready");
  expect(c.version).toBe(5);
  const conn = server.connections.at(-1)!;
  await waitFor(() => server.acks(conn).includes(5), "ack 5");
  return { c, conn, seen: errors(c) };
}

/** Waits until the client has refused a frame: an error event and a resync on `conn`. */
export const refusal = async (conn: FakeConnection, seen: Error[]): Promise<void> => {
  await waitFor(() => seen.length > 0 && resyncs(conn) > 0, "an error and a resync");
};

/** Sends `frame` to a new client holding version 5: it is refused, nothing changes, the block stays. */
export async function refusedFrame(server: FakeServer, frame: string, options: Partial<ClientOptions> = {}): Promise<ConnectedClient> {
  const connected = await connectedClient(server, options);
  const { c, conn, seen } = connected;
  server.broadcast(frame);
  await refusal(conn, seen);
  expect(c.version).toBe(5);
  // The resync is answered with the service's snapshot of version 5, acked again: nothing else is.
  expect(server.acks(conn).filter((v) => v !== 5)).toEqual([]);
  expectBlock(c);
  return connected;
}

/** The stream still works after a refusal: a real change (a new kill, signed when the server signs) is applied and acked. */
export async function stillApplies(server: FakeServer, c: KillswitchClient, conn: FakeConnection): Promise<void> {
  server.change({ flags: { "model.y": killed(0) } });
  await waitFor(() => server.acks(conn).includes(6), "ack 6");
  expect(c.version).toBe(6);
  expect(c.evaluate("model.y", us, true).reason).toBe("DISABLED");
}
