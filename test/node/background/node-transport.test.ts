/**
 * The Node transport connects only to addresses the URL rules allow, checked
 * on the address it resolved at connection time: a name that resolves to a
 * loopback address is refused unless private addresses are allowed.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { nodeTransport } from "../../../src/node/background/node-transport.js";

let server: Server;
let port: number;
let hits = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    req.resume();
    req.on("end", () => res.writeHead(201).end("x".repeat(5000)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const send = (url: string, allowPrivate: boolean, timeoutMs = 5_000) =>
  nodeTransport.send({ url, headers: { "content-type": "application/json" }, body: "{}", timeoutMs, policy: { allowPrivate } });

it("refuses a name that resolves to a loopback address, before connecting", async () => {
  const before = hits;
  const result = await send(`http://localhost:${port}/hook`, false);
  expect(result).toMatchObject({ status: null, error: expect.stringMatching(/refused: localhost resolves to .*loopback/) });
  expect(hits).toBe(before);
});

it("delivers where private addresses are allowed, keeping the answer's first kilobyte", async () => {
  const result = await send(`http://localhost:${port}/hook`, true);
  expect(result.status).toBe(201);
  expect(result.status !== null && result.response.length).toBe(1024);
});

it("ends an attempt that gets no answer in time", async () => {
  const silent = createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  try {
    const result = await send(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/`, true, 300);
    expect(result).toMatchObject({ status: null, error: "no answer within 0.3 s" });
  } finally {
    silent.closeAllConnections();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
});
