/**
 * The `killswitch` binary against the real server in a child process (a fresh
 * database), with 50 real SDK clients in four processes of their own, one of which
 * holds a single client that can be frozen (SIGSTOP) like a hung application.
 */
import { readFileSync, statSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Api } from "../support/api.js";
import { startWithTenant } from "../support/contract-tenant.js";
import { tempDir } from "../support/temp-db.js";
import type { TestTenant } from "../support/tenants.js";
import { runCli, runCliOnTerminal, startCli, type CliRun } from "./support/cli-process.js";
import { startClientsProcess, type ClientsProcess } from "./support/clients-process-handle.js";
import { startProcessTarget, type ProcessTarget } from "./support/process-target.js";
import { waitFor } from "./support/wait-for.js";

const FLAG = "model.x";
const LONE_APP = "lone-app";
/** 49 clients in three processes, and one alone in a fourth. */
const SPREAD = [16, 16, 17];
const CLIENTS = 50;

let server: ProcessTarget;
let api: Api;
let t: TestTenant;
let config: string;
const fleets: ClientsProcess[] = [];
let lone: ClientsProcess;

/** The CLI as an operator, with the connection in the environment and its own config directory. */
const cli = (args: string[], env: Record<string, string> = {}): Promise<CliRun> =>
  runCli(args, { env: { KILLSWITCH_URL: server.baseUrl, KILLSWITCH_KEY: t.operator, XDG_CONFIG_HOME: config, ...env } });

/** A port nothing listens on: one the system just gave and took back. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const auditHead = async (): Promise<number> => (await api("GET", "/v1/audit/head", { key: t.viewer })).body.seq;

beforeAll(async () => {
  ({ target: server, api, t } = await startWithTenant(startProcessTarget));
  config = tempDir();
  expect((await api("POST", "/v1/flags", { key: t.admin, json: { key: FLAG, kind: "boolean" } })).status).toBe(201);
  fleets.push(...(await Promise.all(SPREAD.map((n) => startClientsProcess(server.baseUrl, t.sdk, n)))));
  lone = await startClientsProcess(server.baseUrl, t.sdk, 1, 60_000, LONE_APP);
  fleets.push(lone);
  expect(fleets.reduce((sum, f) => sum + f.ready, 0)).toBe(CLIENTS);
  // Every client is listed before a change, so all 50 count as connected at its commit.
  await waitFor(async () => (await api("GET", "/v1/envs/production/instances", { key: t.viewer })).body.total === CLIENTS, 30_000, "50 instances");
}, 180_000);

afterAll(async () => {
  await Promise.all(fleets.map((f) => f.stop()));
  await server?.close();
});

describe("--wait", () => {
  it("block --wait exits 0 once all 50 instances applied the block, and says so", async () => {
    const recorded = await cli(["directive", "new", "EXPORT-2026-001", "--title", "No foreign nationals on model.x", "--received-at", "5m", "--deadline", "1h"]);
    expect(recorded.code, recorded.stderr).toBe(0);
    const run = await cli(["block", FLAG, "--where", "nationality notIn US", "--reason", "Export directive received 17:21", "--directive", "EXPORT-2026-001", "--wait", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const answer = JSON.parse(run.stdout);
    expect(answer.wait).toMatchObject({ outcome: "complete", via: "events", receipt: { version: answer.version, connected: CLIENTS, acked: CLIENTS, pending: [], status: "complete" } });
    // The service agrees: the receipt of that version is complete with 50 acks.
    const receipt = await api("GET", `/v1/envs/production/changes/${answer.version}`, { key: t.viewer });
    expect(receipt.body).toMatchObject({ connected: CLIENTS, acked: CLIENTS, complete: true });
    // Off a terminal: one plain progress line a second on stderr, ending with the final state.
    expect(run.stderr.trim().split("\n").at(-1)).toMatch(new RegExp(`^v${answer.version} production: 50/50 applied, p99 \\d+ ms, 0 pending, `));
  }, 120_000);

  it("with one client frozen, block --wait --timeout 5s exits 3 and names the pending instance", async () => {
    const instances = (await api("GET", "/v1/envs/production/instances", { key: t.viewer })).body.items as { instance: string; app: string }[];
    const frozen = instances.find((i) => i.app === LONE_APP)!.instance;
    lone.signal("SIGSTOP");
    try {
      const run = await cli(["block", FLAG, "--where", "employer in acme", "--reason", "Frozen client", "--wait", "--timeout", "5s"]);
      expect(run.code, run.stderr).toBe(3);
      expect(run.stderr).toMatch(/Not complete after 5\.\d s: version \d+ applied by 49\/50 instances\. Pending:/);
      expect(run.stderr).toContain(`${frozen}  app ${LONE_APP}`);
      expect(run.stdout).toMatch(/^Blocked model\.x in production: version \d+, rule \S+ \(audit #\d+ [0-9a-f]{64}\)\n$/);
    } finally {
      lone.signal("SIGCONT");
    }
  }, 120_000);

  it("draws the bar on a terminal; its final frame shows 50/50 applied", async () => {
    // Thawed, the lone client catches up first: wait until all 50 are at the newest version.
    await waitFor(
      async () => {
        const { items } = (await api("GET", "/v1/envs/production/instances", { key: t.viewer })).body as { items: { appliedVersion: number }[] };
        const newest = Math.max(...items.map((i) => i.appliedVersion));
        return items.length === CLIENTS && items.every((i) => i.appliedVersion === newest);
      },
      60_000,
      "every client at the newest version",
    );
    const run = await runCliOnTerminal(["kill", FLAG, "--reason", "Scope unclear: off for everyone", "--yes", "--wait"], {
      env: { KILLSWITCH_URL: server.baseUrl, KILLSWITCH_KEY: t.operator, XDG_CONFIG_HOME: config },
    });
    expect(run.code, run.stdout).toBe(0);
    // Frames are redrawn in place: the last one is after the last carriage return or cursor move before the result line.
    const frames = run.stdout.split(/\r|\x1b\[1G/).filter((f) => f.includes("applied |"));
    const last = frames.at(-1)!.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, "");
    expect(last).toMatch(/^v\d+ production [█░]{30} 50\/50 applied \| p99 \d+ ms \| [\d.]+ (ms|s)\s*$/);
    expect(run.stdout).toMatch(/Applied by 50\/50 instances, p99 \d+ ms after the commit \(waited /);
    // A terminal gets colour; NO_COLOR takes it away.
    expect(run.stdout).toContain("\x1b[32mApplied by 50/50");
    const plain = await runCliOnTerminal(["restore", FLAG, "--reason", "Scope clarified", "--yes", "--wait"], {
      env: { KILLSWITCH_URL: server.baseUrl, KILLSWITCH_KEY: t.operator, XDG_CONFIG_HOME: config, NO_COLOR: "1" },
    });
    expect(plain.code, plain.stdout).toBe(0);
    expect(plain.stdout).not.toMatch(/\x1b\[3\dm/);
  }, 120_000);

  it("with no instance connected, --wait exits 4, and 0 with --allow-none", async () => {
    expect((await api("POST", "/v1/envs", { key: t.admin, json: { key: "staging" } })).status).toBe(201);
    const none = await cli(["kill", FLAG, "--env", "staging", "--reason", "Nobody there", "--wait"]);
    expect(none.code, none.stderr).toBe(4);
    expect(none.stderr).toContain("No instance was connected when version");
    const allowed = await cli(["restore", FLAG, "--env", "staging", "--reason", "Nobody there", "--wait", "--allow-none"]);
    expect(allowed.code, allowed.stderr).toBe(0);
  }, 60_000);
});

describe("following", () => {
  it("watch prints the change, its receipt and a directive as they happen; audit --follow prints the new entries", async () => {
    const env = { KILLSWITCH_URL: server.baseUrl, KILLSWITCH_KEY: t.viewer, XDG_CONFIG_HOME: config };
    const watch = startCli(["watch", "--json"], { env });
    const follow = startCli(["audit", "--follow", "--limit", "1"], { env });
    try {
      // Both say when they follow: watch a note on stderr once its stream is open, audit its first table.
      await waitFor(() => watch.stderr().includes("Watching") && follow.stdout().includes("SEQ"), 60_000, () => `both to start: ${watch.stderr()} ${follow.stderr()}`);
      const restore = await cli(["restore", FLAG, "--reason", "Followed", "--directive", "FOLLOW-1", "--wait", "--json"]);
      expect(restore.code, restore.stderr).toBe(0);
      const version = JSON.parse(restore.stdout).version as number;
      const recorded = await cli(["directive", "new", "FOLLOW-2", "--title", "Followed too"]);
      expect(recorded.code, recorded.stderr).toBe(0);
      const lines = (): { type: string; data: Record<string, unknown> }[] =>
        watch.stdout().split("\n").filter(Boolean).map((line) => JSON.parse(line));
      await waitFor(() => lines().some((e) => e.type === "directive" && e.data.ref === "FOLLOW-2"), 60_000, () => `the directive event in:\n${watch.stdout()}`);
      expect(lines()).toContainEqual(expect.objectContaining({ type: "change", data: expect.objectContaining({ version, key: FLAG, action: "flag.restore", directive: "FOLLOW-1" }) }));
      expect(lines()).toContainEqual(expect.objectContaining({ type: "receipt", data: expect.objectContaining({ version, status: "complete", acked: CLIENTS }) }));
      await waitFor(() => /flag\.restore .* FOLLOW-1 +Followed/.test(follow.stdout()) && follow.stdout().includes("directive.create"), 60_000, () => `the entries in:\n${follow.stdout()}`);
    } finally {
      await watch.stop();
      await follow.stop();
    }
  }, 180_000);
});

describe("--where errors", () => {
  it("an unknown operator is refused at its column with exit 1, and nothing is written", async () => {
    const before = await auditHead();
    const run = await cli(["block", FLAG, "--where", "nationality notIm US", "--reason", "typo"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      ['error: --where: unknown operator "notIm": did you mean "notIn"? (column 13)', "  nationality notIm US", "              ^^^^^", ""].join("\n"),
    );
    expect(run.stdout).toBe("");
    expect(await auditHead()).toBe(before);
  }, 60_000);

  it("an undeclared attribute is refused at its column with exit 1; a value the API refuses is pointed at with exit 2", async () => {
    const before = await auditHead();
    const typo = await cli(["block", FLAG, "--where", "employer in acme and nationalty notIn US", "--reason", "typo"]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain('unknown attribute "nationalty": did you mean "nationality"? (column 22)');
    expect(typo.stderr).toContain(`\n${" ".repeat(2 + 21)}^^^^^^^^^^\n`);
    const lower = await cli(["block", FLAG, "--where", "nationality notIn us", "--reason", "lower case"]);
    expect(lower.code).toBe(2);
    expect(lower.stderr).toMatch(/Invalid request \(400\): "us" is not an upper-case ISO 3166 code.*\(column 19\)\n  nationality notIn us\n {20}\^\^\n/);
    expect(await auditHead()).toBe(before);
  }, 60_000);
});

describe("--json and exit codes", () => {
  it("prints only JSON on stdout for every read command", async () => {
    const runs = await Promise.all([
      cli(["flags", "--json"]),
      cli(["blocks", "--json"]),
      cli(["status", FLAG, "--json"]),
      cli(["instances", "--json"]),
      cli(["explain", FLAG, "--context", '{"key":"u-1","nationality":"FR"}', "--json"]),
      cli(["audit", "--flag", FLAG, "--json"]),
      cli(["audit", "verify", "--json"]),
      cli(["directive", "ls", "--json"]),
      cli(["directive", "report", "EXPORT-2026-001", "--json"]),
    ]);
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(0);
      expect(() => JSON.parse(run.stdout), run.stdout).not.toThrow();
    }
    const [flags, blocks, status, instances, explain, audit, verify, directives, report] = runs.map((r) => JSON.parse(r.stdout));
    expect(flags.find((f: { key: string }) => f.key === FLAG)).toMatchObject({ key: FLAG, state: "blocked" });
    expect(blocks.map((b: { text: string }) => b.text)).toContain("off for nationality not in US");
    expect(status.environments.find((e: { env: string }) => e.env === "production")).toMatchObject({ instances: { connected: CLIENTS, applied: CLIENTS } });
    expect(instances.total).toBe(CLIENTS);
    expect(explain.flags[0]).toMatchObject({ flag: FLAG, result: { value: false, reason: "TARGETING_MATCH" } });
    expect(audit.map((e: { action: string }) => e.action)).toContain("flag.block");
    expect(verify).toMatchObject({ ok: true });
    expect(directives.map((d: { ref: string }) => d.ref)).toContain("EXPORT-2026-001");
    expect(report.directive).toMatchObject({ ref: "EXPORT-2026-001" });
    // The report as Markdown, written to a file.
    const file = join(tempDir(), "report.md");
    const markdown = await cli(["directive", "report", "EXPORT-2026-001", "--format", "md", "-o", file]);
    expect(markdown.code, markdown.stderr).toBe(0);
    expect(readFileSync(file, "utf8")).toMatch(/^# Directive EXPORT-2026-001/);
  }, 120_000);

  it("a refusal by the API exits 2 with its detail (JSON on stdout with --json); an unreachable service exits 5", async () => {
    const missing = await cli(["kill", "model.nope", "--reason", "x", "--json"]);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout).error).toMatchObject({ status: 404 });
    expect(missing.stderr).toContain('Not found (404): No flag "model.nope"');
    const viewer = await cli(["kill", FLAG, "--reason", "x"], { KILLSWITCH_KEY: t.viewer });
    expect(viewer.code).toBe(2);
    const closed = `http://127.0.0.1:${await closedPort()}`;
    const down = await cli(["flags"], { KILLSWITCH_URL: closed });
    expect(down.code).toBe(5);
    expect(down.stderr).toContain(`cannot reach the service at ${closed}: ECONNREFUSED`);
    const usage = await cli(["block", FLAG, "--reason", "neither --where nor --segment"]);
    expect(usage.code).toBe(1);
  }, 60_000);
});

describe("login", () => {
  it("checks the key, saves it owner-only under XDG_CONFIG_HOME, and later commands use the profile", async () => {
    const home = tempDir();
    const env = { XDG_CONFIG_HOME: home };
    const login = await runCli(["login", "--url", server.baseUrl, "--profile", "oncall"], { env, input: `${t.operator}\n` });
    expect(login.code, login.stderr).toBe(0);
    const file = join(home, "killswitch", "config.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, "killswitch")).mode & 0o777).toBe(0o700);
    const flags = await runCli(["flags", "--json"], { env });
    expect(flags.code, flags.stderr).toBe(0);
    expect(JSON.parse(flags.stdout).map((f: { key: string }) => f.key)).toContain(FLAG);
    const unknown = await runCli(["flags", "--profile", "nope"], { env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no profile "nope"');
    const bad = await runCli(["login", "--url", server.baseUrl], { env, input: `${t.revoked}\n` });
    expect(bad.code).toBe(2);
  }, 90_000);
});
