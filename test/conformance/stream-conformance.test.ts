/**
 * The stream conformance cases (stream-cases.json, protocol 1 as data) against the
 * core's session state machine and both real hosts: the Node hub in-process over
 * real sockets, and the Worker's hibernating hub in a Durable Object under
 * `wrangler dev` (test/worker/hub-harness). Each host runs with a stand-in source
 * whose snapshot reads the cases can hold.
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import { STREAM_CASES, type StreamTarget } from "./cases.js";
import { runCase } from "./run-case.js";
import { machineTarget } from "./targets/machine.js";
import { nodeHubTarget } from "./targets/node-hub.js";
import { WorkerHub, workerHubTarget } from "./targets/worker-hub.js";

describe("the core's session state machine", () => {
  it.each(STREAM_CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const target = machineTarget();
    try {
      await runCase(target, c);
    } finally {
      await target.close();
    }
  });
});

describe("the Node hub", () => {
  it.each(STREAM_CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const target: StreamTarget = await nodeHubTarget();
    try {
      await runCase(target, c);
    } finally {
      await target.close();
    }
  });
});

describe("the Worker's hibernating hub", () => {
  let hub: WorkerHub;
  beforeAll(async () => {
    hub = await WorkerHub.start();
  }, 120_000);
  afterAll(async () => {
    await hub?.stop();
  });

  it.each(STREAM_CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const target = workerHubTarget(hub);
    try {
      await runCase(target, c);
    } finally {
      await target.close();
    }
  }, 30_000);
});
