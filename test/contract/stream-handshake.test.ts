/**
 * The stream's opening handshake on both hosts: the key offered as a
 * subprotocol is never echoed (only `killswitch.v1` is selected), and the
 * first frame after hello is the snapshot.
 *
 * A named difference: the Node hub negotiates no per-message compression even
 * when the client offers it (as `ws`, Node 22 and browsers do), because every
 * patch is one frame written to thousands of sockets and deflating it per
 * socket would cost several times its send. Under `wrangler dev`,
 * permessage-deflate is negotiated whatever the Worker answers: neither an
 * empty Sec-WebSocket-Extensions in the 101 nor the `no_web_socket_compression`
 * flag changed it locally, so the local stack's sockets decide, and what
 * Cloudflare itself would negotiate cannot be observed here.
 */
import type { ServerMessage } from "@killswitch/sdk";
import { afterAll, beforeAll, expect, it } from "vitest";
import { WebSocket } from "ws";
import { apiFor } from "../support/api.js";
import { startContractTarget, type ContractTarget } from "../support/contract-target.js";
import { createTenant, type TestTenant } from "../support/tenants.js";

let target: ContractTarget;
let t: TestTenant;

beforeAll(async () => {
  target = await startContractTarget();
  t = await createTenant(target, apiFor(target), "handshake");
});

afterAll(() => target.close());

it("selects killswitch.v1 only and negotiates no compression, though the client offers it", async () => {
  const ws = new WebSocket(`${target.baseUrl.replace(/^http/, "ws")}/v1/stream`, ["killswitch.v1", t.sdk], {
    perMessageDeflate: true,
  });
  const first = new Promise<ServerMessage>((resolve, reject) => {
    ws.once("message", (data) => resolve(JSON.parse(String(data)) as ServerMessage));
    ws.once("error", reject);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  try {
    expect(ws.protocol).toBe("killswitch.v1");
    if (process.env.KILLSWITCH_CONTRACT_TARGET !== "worker") expect(ws.extensions).toBe("");
    ws.send(JSON.stringify({ t: "hello", protocol: 1, sdk: "contract/1", app: "handshake", instance: "handshake-1" }));
    expect(await first).toMatchObject({ t: "snapshot", env: "production" });
  } finally {
    ws.terminate();
  }
});
