/**
 * A database file the service may not write (its permissions), for real: the
 * server runs as `npm start` in a process of its own, as an unprivileged user
 * when the test is root (root ignores file permissions). Writes answer 503 with
 * Retry-After, the log says so once (not a stack trace per mirror tick), and
 * once the permissions are back the next write lands, without a restart.
 */
import { chmodSync, chownSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { apiFor, okBody } from "../../support/api.js";
import { tempDir } from "../../support/temp-db.js";
import { startServerProcess, type ServerProcess } from "../../e2e/support/server-process.js";
import { sleep } from "../../e2e/support/wait-for.js";

const ROOT_TOKEN = "root-token-for-the-read-only-test-000000";
const NOBODY = { uid: 65534, gid: 65534 };

let dir: string;
let server: ServerProcess | undefined;

afterEach(async () => {
  await server?.signal("SIGKILL");
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe("a read-only database file", () => {
  it("answers writes 503 with Retry-After, logs it once, and recovers without a restart", { timeout: 120_000 }, async () => {
    dir = tempDir();
    const user = process.getuid?.() === 0 ? NOBODY : undefined;
    if (user) {
      chownSync(dir, user.uid, user.gid);
      // The unprivileged server must reach the checkout's node_modules: a checkout in a
      // 0700 folder (mktemp -d) would hide tsx from it. Grant search (o+x) only, no reads.
      for (let d = process.cwd(); d !== dirname(d); d = dirname(d)) {
        const mode = statSync(d).mode;
        if ((mode & 0o001) === 0) chmodSync(d, (mode & 0o7777) | 0o001);
      }
    }
    const file = join(dir, "killswitch.db");
    const options = { databaseUrl: `file:${file}`, rootToken: ROOT_TOKEN, user };

    // A tenant with a flag, written while the file is writable.
    server = await startServerProcess(options);
    let api = apiFor({ baseUrl: server.url, rootToken: ROOT_TOKEN, close: async () => {} });
    const admin: string = (await okBody(api, ROOT_TOKEN, "POST", "/v1/tenants", { name: "acme" })).adminKey;
    await okBody(api, admin, "POST", "/v1/flags", { key: "f", kind: "boolean" });
    await server.signal("SIGTERM");

    chmodSync(file, 0o444);
    server = await startServerProcess(options);
    api = apiFor({ baseUrl: server.url, rootToken: ROOT_TOKEN, close: async () => {} });
    const kill = () => api("POST", "/v1/envs/production/flags/f/kill", { key: admin, json: { reason: "test" } });

    const refused = await kill();
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(refused.body).toMatchObject({ type: "https://killswitch.dev/problems/unavailable", detail: expect.stringContaining("read-only") });
    expect((await api("GET", "/readyz")).status).toBe(503);
    // Reads still answer.
    expect((await api("GET", "/v1/envs/production/flags/f", { key: admin })).body).toMatchObject({ enabled: true });
    await sleep(1500); // the instance mirror ticks every 250 ms meanwhile

    chmodSync(file, 0o644);
    expect((await kill()).body).toMatchObject({ version: 2 });
    expect((await api("GET", "/readyz")).status).toBe(200);

    const output = server.output();
    expect(output.match(/cannot take writes \(readonly/g)).toHaveLength(1);
    expect(output.match(/takes writes again/g)).toHaveLength(1);
    expect(output).not.toMatch(/\n\s+at /); // no stack trace
  });
});
