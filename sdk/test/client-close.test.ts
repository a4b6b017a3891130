import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, expect, it } from "vitest";
import { blockedForForeigners, foreignNationals } from "./support/flags.js";
import { FakeServer, TEST_KEY, waitFor } from "./support/fake-server.js";

const child = fileURLToPath(new URL("./support/close-child.ts", import.meta.url));

let server: FakeServer;

afterEach(async () => {
  await server.close();
});

/** Runs the child; resolves with its output once it exits by itself, fails if it lingers. */
const run = (scenario: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", child, scenario, server.url, TEST_KEY], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      p.kill("SIGKILL");
      reject(new Error(`the process did not exit after close(); output: ${out}`));
    }, 10_000);
    p.on("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`exit code ${code}; output: ${out}`));
    });
  });

it("close() leaves nothing behind after a connected session: the process exits by itself", async () => {
  server = await FakeServer.start({ flags: [blockedForForeigners()], segments: [foreignNationals()] });
  expect(await run("connected")).toBe("ready\nclosed\n");
  await waitFor(() => server.open.size === 0, "the server to see the socket closed");
  expect(server.connections).toHaveLength(1);
});

it("close() leaves nothing behind while the client is polling", async () => {
  server = await FakeServer.start({ flags: [blockedForForeigners()], segments: [foreignNationals()] });
  server.refuseUpgrades = true;
  expect(await run("polling")).toBe("ready\nclosed\n");
});

it("close() leaves nothing behind while the client is retrying a dead service", async () => {
  server = await FakeServer.start();
  await server.stop();
  expect(await run("down")).toBe("closed\n");
});
