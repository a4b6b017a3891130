/**
 * The database's directory deleted while the service runs. SQLite keeps writing
 * into the unlinked file, and everything is gone at the next start; the service
 * sees the file's identity change (checked every second, before every commit and
 * on readiness) and answers writes and readiness 503 instead, while reads keep
 * serving the state it has.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../../support/temp-db.js";
import { waitFor } from "../../e2e/support/wait-for.js";
import { ENV, FLAG, startFaultServer, type FaultServer } from "./fault-server.js";

let dir: string;
let s: FaultServer | undefined;

afterEach(async () => {
  await s?.server.close();
  s = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe("a database directory deleted while running", () => {
  it("is noticed without a request, and writes and readiness answer 503 while reads still answer", async () => {
    dir = tempDir();
    const data = `${dir}/data`;
    s = await startFaultServer(data);
    const { api, keys, flip, lines } = s;
    expect((await flip(false)).body).toMatchObject({ version: 2 });

    rmSync(data, { recursive: true, force: true });
    await waitFor(() => lines.some((l) => /cannot take writes \(gone/.test(l)), 10_000, "the health log to notice");

    const refused = await flip(true);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(refused.body).toMatchObject({ type: "https://killswitch.dev/problems/unavailable", detail: expect.stringContaining("deleted or replaced") });
    const ready = await api("GET", "/readyz");
    expect(ready).toMatchObject({ status: 503, body: { detail: expect.stringContaining("deleted or replaced") } });
    expect((await api("GET", `/v1/envs/${ENV}/flags/${FLAG}`, { key: keys.admin })).body).toMatchObject({ enabled: false, version: 2 });
    expect(lines).toHaveLength(1);
    expect(s.errors).toEqual([]);
  });

  it("refuses the first write after the deletion, before any timer has run, and a new file at the same path too", async () => {
    dir = tempDir();
    const data = `${dir}/data`;
    s = await startFaultServer(data);
    rmSync(data, { recursive: true, force: true });
    expect((await s.flip(false)).status).toBe(503);

    mkdirSync(data);
    writeFileSync(s.file, "");
    expect((await s.flip(false)).status).toBe(503);
    expect((await s.api("GET", "/readyz")).status).toBe(503);
  });
});
