/**
 * `npm start` as a real process: configuration from the environment, the demo
 * tenant's keys printed once, and a clean exit on SIGTERM and SIGINT.
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../support/temp-db.js";

const MAIN = fileURLToPath(new URL("../../src/node/main.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(env: Record<string, string>, viaNpm = false) {
  const child = viaNpm
    ? spawn("npm", ["start", "--silent"], {
        cwd: ROOT,
        env: { ...process.env, HOST: "127.0.0.1", PORT: "0", ...env },
        stdio: ["ignore", "pipe", "pipe"],
      })
    : spawn(process.execPath, ["--import", "tsx", MAIN], {
        env: { ...process.env, HOST: "127.0.0.1", PORT: "0", ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout.on("data", () => {
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url && /sdk key|database file:.*\n$/s.test(output)) resolve(url);
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code}: ${output}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, listening, exited, output: () => output };
}

// Each case starts real processes (tsx compiles the server first): allow for a loaded machine.
describe("npm start", { timeout: 90_000 }, () => {
  it("serves, prints the demo keys once, and stops on SIGTERM with exit code 0", async () => {
    const databaseUrl = `file:${join(dir, "main.db")}`;
    const first = run({ DATABASE_URL: databaseUrl });
    const url = await first.listening;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const adminKey = /admin key:\s+(\S+)/.exec(first.output())![1]!;
    expect((await fetch(`${url}/v1/flags`, { headers: { authorization: `Bearer ${adminKey}` } })).status).toBe(200);
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);

    const second = run({ DATABASE_URL: databaseUrl });
    await second.listening;
    expect(second.output()).not.toMatch(/admin key/);
    second.child.kill("SIGINT");
    expect(await second.exited).toBe(0);
  });

  it("stops the server when npm itself gets SIGTERM, as a supervisor sends it", async () => {
    const npm = run({ DATABASE_URL: `file:${join(dir, "npm.db")}` }, true);
    const url = await npm.listening;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    npm.child.kill("SIGTERM");
    await npm.exited;
    // The script execs node, so the signal reaches the server rather than orphaning it.
    expect(npm.output()).toMatch(/SIGTERM: stopping/);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it("exits with a message on a bad PORT", async () => {
    const bad = run({ PORT: "http" });
    await expect(bad.listening).rejects.toThrow(/PORT must be an integer/);
    expect(await bad.exited).toBe(1);
  });
});
