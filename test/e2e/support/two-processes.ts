/**
 * Two `main.ts` processes (A and B) on one database file, a tenant with one
 * boolean flag made through A, and `perNode` ready SDK clients on each node
 * (apps "on-a" and "on-b"). `stop` kills both processes and removes the file.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { base64url, randomBytes } from "../../../src/core/crypto.js";
import { apiFor, type Api } from "../../support/api.js";
import { tempDir } from "../../support/temp-db.js";
import { createTenant, type TestTenant } from "../../support/tenants.js";
import { closeClients, trackedClient, type TrackedClient } from "./sdk-clients.js";
import { startServerProcess, type ServerProcess } from "./server-process.js";

export interface TwoProcesses {
  nodeA: ServerProcess;
  nodeB: ServerProcess;
  apiA: Api;
  apiB: Api;
  t: TestTenant;
  /** The database file both nodes share (a libsql URL). */
  databaseUrl: string;
  onA: TrackedClient[];
  onB: TrackedClient[];
  stop(): Promise<void>;
}

export async function startTwoProcesses(name: string, flag: string, perNode: number): Promise<TwoProcesses> {
  const dir = tempDir();
  const databaseUrl = `file:${join(dir, "killswitch.db")}`;
  const rootToken = `root-${base64url(randomBytes(24))}`;
  const started: ServerProcess[] = [];
  const stop = async () => {
    await closeClients();
    for (const node of started) await node.signal("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const nodeA = await startServerProcess({ databaseUrl, rootToken });
    started.push(nodeA);
    const nodeB = await startServerProcess({ databaseUrl, rootToken });
    started.push(nodeB);
    const target = (node: ServerProcess) => ({ baseUrl: node.url, rootToken, close: async () => {} });
    const apiA = apiFor(target(nodeA));
    const t = await createTenant(target(nodeA), apiA, name);
    expect((await apiA("POST", "/v1/flags", { key: t.admin, json: { key: flag, kind: "boolean" } })).status).toBe(201);
    const clients = (node: ServerProcess, app: string) =>
      Array.from({ length: perNode }, () => trackedClient({ url: node.url, sdkKey: t.sdk, app, reconnectDelayMs: 100 }));
    const onA = clients(nodeA, "on-a");
    const onB = clients(nodeB, "on-b");
    const states = await Promise.all([...onA, ...onB].map(({ client }) => client.ready({ timeoutMs: 20_000 })));
    expect(states).toEqual(Array(2 * perNode).fill("ready"));
    return { nodeA, nodeB, apiA, apiB: apiFor(target(nodeB)), t, databaseUrl, onA, onB, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
