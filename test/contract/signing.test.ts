/**
 * Signed state on both hosts: each environment's public keys at
 * `GET /v1/envs/{env}/signing-key`, stream frames, the HTTP snapshot and signed
 * OFREP answers that verify with them (checked with node:crypto, not the SDK's
 * code), rotation with an overlap and an announcement, a new epoch after a
 * restore, and the SDK pinned to the published key.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { createClient } from "../../sdk/src/node.js";
import type { KillswitchClient } from "../../sdk/src/client.js";
import type { Api } from "../support/api.js";
import { seedFableAndForeignNationals, startWithTenant } from "../support/contract-tenant.js";
import type { ContractTarget } from "../support/contract-target.js";
import { createTenant, type TestTenant } from "../support/tenants.js";
import { ofrepSignature, openSigned, sha256Base64url, signedBy, verifies } from "../support/signed.js";

let target: ContractTarget;
let api: Api;
let t: TestTenant;

beforeAll(async () => {
  ({ target, api, t } = await startWithTenant());
  await seedFableAndForeignNationals(api, t);
});
afterAll(() => target.close());

const KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const EPOCH_PATTERN = /^[0-9a-f]{24}$/;

/** The raw text frames of one stream (bare `pong`s left out). */
class Stream {
  readonly frames: string[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data, binary) => {
      const text = String(data);
      if (!binary && text !== "pong") this.frames.push(text);
    });
    ws.on("error", () => {});
  }

  static async open(key: string, hello: Record<string, unknown> = {}): Promise<Stream> {
    const ws = new WebSocket(`${target.baseUrl.replace(/^http/, "ws")}/v1/stream`, { headers: { authorization: `Bearer ${key}` } });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    const stream = new Stream(ws);
    ws.send(JSON.stringify({ t: "hello", protocol: 1, sdk: "contract/1", app: "signing", instance: `signing-${Math.random()}`, ...hello }));
    return stream;
  }

  /** The first frame after `from` (an index into `frames`) whose payload matches. */
  async next(match: (payload: any) => boolean, from = 0, timeoutMs = 20_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.slice(from).find((f) => match(JSON.parse(f)));
      if (found) return found;
      if (Date.now() > end) throw new Error(`no matching frame; got ${this.frames.map((f) => f.slice(0, 120)).join(" | ")}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.ws.terminate();
  }
}

const signingKeys = async (tenant: TestTenant, env = "production") => {
  const res = await api("GET", `/v1/envs/${env}/signing-key`, { key: tenant.viewer });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { env: string; epoch: string; algorithm: string; keys: { key: string; n: number; status: string; createdAt: string; retiresAt?: string }[] };
};

describe("GET /v1/envs/{env}/signing-key", () => {
  it("answers the environment's public key and epoch; never a private key", async () => {
    const res = await api("GET", "/v1/envs/production/signing-key", { key: t.viewer });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      env: "production",
      epoch: expect.stringMatching(EPOCH_PATTERN),
      algorithm: "Ed25519",
      keys: [{ key: expect.stringMatching(KEY_PATTERN), n: 1, status: "current", createdAt: expect.any(String) }],
    });
    expect(Buffer.from(res.body.keys[0].key, "base64url")).toHaveLength(32);
    expect(JSON.stringify(res.body)).not.toMatch(/private|pkcs8/i);
  });

  it("gives each environment, and each tenant, a key of its own", async () => {
    await api("POST", "/v1/envs", { key: t.admin, json: { key: "staging" } });
    const other = await createTenant(target, api, "other signer");
    const keys = [await signingKeys(t), await signingKeys(t, "staging"), await signingKeys(other)].map((k) => k.keys[0]!.key);
    expect(new Set(keys).size).toBe(3);
  });

  it("answers an sdk key its own environment only, and no other tenant", async () => {
    expect((await api("GET", "/v1/envs/production/signing-key", { key: t.sdk })).status).toBe(200);
    expect((await api("GET", "/v1/envs/staging/signing-key", { key: t.sdk })).status).toBe(403);
    const other = await createTenant(target, api, "stranger");
    expect((await api("GET", "/v1/envs/production/signing-key", { key: other.viewer })).status).toBe(200);
    expect((await api("GET", "/v1/envs/nowhere/signing-key", { key: t.viewer })).status).toBe(404);
    expect((await api("GET", "/v1/envs/production/signing-key?x=1", { key: t.viewer })).status).toBe(400);
  });
});

describe("what SDKs receive verifies with the published key", () => {
  it("signs the stream's snapshot and each patch, naming tenant, environment and epoch", async () => {
    const { epoch, keys } = await signingKeys(t);
    const key = keys[0]!.key;
    const stream = await Stream.open(t.sdk);
    try {
      const snapshot = await stream.next((m) => m.t === "snapshot");
      expect(snapshot).toMatch(/^\{"serverTime":\d+,"sig":\{"/);
      expect(signedBy(snapshot, key)).toBe(true);
      expect(openSigned(snapshot).payload).toMatchObject({ t: "snapshot", env: "production", epoch, tenant: t.id });
      // One byte changed and it no longer verifies.
      expect(signedBy(snapshot.replace('"enabled":true', '"enabled":false'), key)).toBe(false);

      const from = stream.frames.length;
      const kill = await api("POST", "/v1/envs/production/flags/model.fable-5/kill", { key: t.operator, json: { reason: "signed kill" } });
      expect(kill.status).toBe(200);
      const patch = await stream.next((m) => m.t === "patch", from);
      expect(signedBy(patch, key)).toBe(true);
      expect(openSigned(patch).payload).toMatchObject({ t: "patch", v: kill.body.version, env: "production", epoch, tenant: t.id });
      expect(openSigned(patch).payload.flags["model.fable-5"]).toMatchObject({ enabled: false });
      await api("POST", "/v1/envs/production/flags/model.fable-5/restore", { key: t.operator, json: { reason: "signed restore" } });
    } finally {
      stream.close();
    }
  });

  it("signs a resumed client's catch-up patch, and resumes only within the client's epoch", async () => {
    const { epoch, keys } = await signingKeys(t);
    const head = (await api("GET", "/v1/snapshot", { key: t.sdk })).body.version as number;
    await api("POST", "/v1/envs/production/flags/model.fable-5/kill", { key: t.operator, json: { reason: "for a resume" } });
    await api("POST", "/v1/envs/production/flags/model.fable-5/restore", { key: t.operator, json: { reason: "for a resume" } });
    const resumed = await Stream.open(t.sdk, { since: head, epoch });
    const other = await Stream.open(t.sdk, { since: head, epoch: "000000000000ffffffffffff" });
    try {
      const patch = await resumed.next((m) => m.t === "patch");
      expect(openSigned(patch).payload).toMatchObject({ prev: head, v: head + 2, epoch });
      expect(signedBy(patch, keys[0]!.key)).toBe(true);
      // Another epoch's `since` says nothing about the state: a snapshot.
      expect(openSigned(await other.next((m) => m.t === "snapshot" || m.t === "patch")).payload.t).toBe("snapshot");
    } finally {
      resumed.close();
      other.close();
    }
  });

  it("signs the HTTP snapshot's body, whose ETag names the version, the epoch and the key", async () => {
    const { epoch, keys } = await signingKeys(t);
    const res = await fetch(`${target.baseUrl}/v1/snapshot`, { headers: { authorization: `Bearer ${t.sdk}` } });
    const text = await res.text();
    expect(text).toMatch(/^\{"sig":\{"/);
    expect(signedBy(text, keys[0]!.key)).toBe(true);
    const { payload } = openSigned(text);
    expect(payload).toMatchObject({ env: "production", epoch, tenant: t.id });
    expect(res.headers.get("etag")).toBe(`"${payload.version}-production-${epoch}-1"`);
    expect(signedBy(text.replace('"model.fable-5"', '"model.fable-6"'), keys[0]!.key)).toBe(false);
  });

  it("signs an OFREP answer when asked, over the request's path and body and the answer", async () => {
    const { epoch, keys } = await signingKeys(t);
    const path = "/ofrep/v1/evaluate/flags/model.fable-5";
    const body = JSON.stringify({ context: { targetingKey: "u1", nationality: "FR" } });
    const plain = await fetch(`${target.baseUrl}${path}`, { method: "POST", headers: { authorization: `Bearer ${t.sdk}` }, body });
    expect(plain.status).toBe(200);
    expect(plain.headers.get("killswitch-signature")).toBeNull();

    const res = await fetch(`${target.baseUrl}${path}`, { method: "POST", headers: { authorization: `Bearer ${t.sdk}`, "killswitch-sign": "1" }, body });
    const answer = await res.text();
    const signed = res.headers.get("killswitch-signed")!;
    const { format, fields, sigs } = ofrepSignature(signed, res.headers.get("killswitch-signature")!);
    expect(format).toBe("ofrep/1");
    expect(fields).toEqual({ tenant: t.id, env: "production", epoch, version: expect.stringMatching(/^\d+$/), path, request: sha256Base64url(body) });
    const key = keys[0]!.key;
    expect(verifies(`${signed}\n${answer}`, key, sigs[key])).toBe(true);
    expect(verifies(`${signed}\n${answer} `, key, sigs[key])).toBe(false);
    expect(verifies(`${signed.replace("env=production", "env=staging")}\n${answer}`, key, sigs[key])).toBe(false);
    // Handed to another request, it does not fit: the digest is of this body.
    expect(fields.request).not.toBe(sha256Base64url(JSON.stringify({ context: { targetingKey: "u2", nationality: "US" } })));

    const bulk = await fetch(`${target.baseUrl}/ofrep/v1/evaluate/flags`, { method: "POST", headers: { authorization: `Bearer ${t.sdk}`, "killswitch-sign": "1" }, body });
    const bulkSigned = bulk.headers.get("killswitch-signed")!;
    const bulkSig = ofrepSignature(bulkSigned, bulk.headers.get("killswitch-signature")!);
    expect(bulkSig.fields.path).toBe("/ofrep/v1/evaluate/flags");
    expect(verifies(`${bulkSigned}\n${await bulk.text()}`, key, bulkSig.sigs[key])).toBe(true);
  });
});

describe("the SDK pinned to the published key", () => {
  it("applies what the service signed, and refuses everything under another key (defaults, the block kept)", async () => {
    const { keys } = await signingKeys(t);
    const clients: KillswitchClient[] = [];
    try {
      const pinned = createClient({ url: target.baseUrl, sdkKey: t.sdk, app: "pinned", publicKey: keys[0]!.key });
      clients.push(pinned);
      expect(await pinned.ready({ timeoutMs: 10_000 })).toBe("ready");
      const kill = await api("POST", "/v1/envs/production/flags/model.fable-5/kill", { key: t.operator, json: { reason: "pinned kill" } });
      await waitUntil(() => pinned.version === kill.body.version);
      expect(pinned.isEnabled("model.fable-5", { key: "u1", nationality: "US" }, true)).toBe(false);

      const staging = (await signingKeys(t, "staging")).keys[0]!.key;
      const wrong = createClient({ url: target.baseUrl, sdkKey: t.sdk, app: "wrong key", publicKey: staging, reconnectDelayMs: 50 });
      clients.push(wrong);
      const seen: Error[] = [];
      wrong.on("error", (e) => seen.push(e));
      expect(await wrong.ready({ timeoutMs: 1_500 })).toBe("defaults");
      expect(seen.some((e) => e.message === "invalid sig")).toBe(true);
      expect(wrong.isEnabled("model.fable-5", { key: "u1", nationality: "US" }, false)).toBe(false);
      await api("POST", "/v1/envs/production/flags/model.fable-5/restore", { key: t.operator, json: { reason: "pinned restore" } });
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });
});

describe("rotation", () => {
  it("signs with both keys during the overlap, announces the new key, and a client pinned to the old key follows", async () => {
    const rotating = await createTenant(target, api, "rotating");
    await seedFableAndForeignNationals(api, rotating);
    const old = (await signingKeys(rotating)).keys[0]!.key;
    const client = createClient({ url: target.baseUrl, sdkKey: rotating.sdk, app: "old key", publicKey: old });
    const stream = await Stream.open(rotating.sdk);
    try {
      expect(await client.ready({ timeoutMs: 10_000 })).toBe("ready");
      await stream.next((m) => m.t === "snapshot");
      const from = stream.frames.length;

      const res = await api("POST", "/v1/envs/production/signing-key/rotate", { key: rotating.admin, json: { reason: "yearly rotation", overlapSeconds: 3600 } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const next = res.body.keys[0].key as string;
      expect(res.body.keys).toEqual([
        { key: next, n: 2, status: "current", createdAt: expect.any(String) },
        { key: old, n: 1, status: "previous", createdAt: expect.any(String), retiresAt: expect.any(String) },
      ]);
      expect(res.body.audit).toEqual({ seq: expect.any(Number), hash: expect.any(String) });
      expect(await signingKeys(rotating)).toMatchObject({ keys: [{ key: next }, { key: old }] });

      // The announcement: an hb of version 0 carrying the new key, signed by both.
      const announcement = await stream.next((m) => m.t === "hb" && m.key !== undefined, from);
      expect(openSigned(announcement).payload).toMatchObject({ t: "hb", v: 0, key: next, n: 2, env: "production", tenant: rotating.id });
      expect(signedBy(announcement, old) && signedBy(announcement, next)).toBe(true);

      const kill = await api("POST", "/v1/envs/production/flags/model.fable-5/kill", { key: rotating.operator, json: { reason: "during the overlap" } });
      const patch = await stream.next((m) => m.t === "patch", from);
      expect(signedBy(patch, old) && signedBy(patch, next)).toBe(true);
      await waitUntil(() => client.version === kill.body.version);

      // The overlap cut short (a leak): only the new key signs, and the client, which learned it, still applies.
      const cut = await api("POST", "/v1/envs/production/signing-key/rotate", { key: rotating.admin, json: { reason: "key leaked", overlapSeconds: 0 } });
      expect(cut.status).toBe(200);
      const newest = cut.body.keys[0].key as string;
      expect(cut.body.keys).toHaveLength(1);
      const after = stream.frames.length;
      const restore = await api("POST", "/v1/envs/production/flags/model.fable-5/restore", { key: rotating.operator, json: { reason: "after the cut" } });
      const last = await stream.next((m) => m.t === "patch", after);
      expect(signedBy(last, newest)).toBe(true);
      expect(Object.keys(openSigned(last).sig)).toEqual([newest]);
      // Pinned to the first key and told of the second, it cannot verify the third: the kill stays in force.
      await new Promise((r) => setTimeout(r, 500));
      expect(client.version).toBe(kill.body.version);
      expect(restore.status).toBe(200);
      expect(client.isEnabled("model.fable-5", { key: "u1", nationality: "US" }, true)).toBe(false);

      const audit = await api("GET", "/v1/audit?limit=10", { key: rotating.viewer });
      const rotations = audit.body.items.filter((e: { action: string }) => e.action === "signing-key.rotate");
      expect(rotations.map((e: { reason: string }) => e.reason)).toEqual(["key leaked", "yearly rotation"]);
      expect(rotations[1]).toMatchObject({ entity: "environment", key: "production", before: { signingKey: old, n: 1 }, after: { signingKey: next, n: 2 } });
      expect(JSON.stringify(audit.body)).not.toMatch(/private|pkcs8|MC4CAQAwBQYDK2Vw/);
    } finally {
      stream.close();
      await client.close();
    }
  });

  it("is for admins only, and refuses bad input", async () => {
    const path = "/v1/envs/production/signing-key/rotate";
    expect((await api("POST", path, { key: t.operator, json: { reason: "r" } })).status).toBe(403);
    expect((await api("POST", path, { key: t.viewer, json: { reason: "r" } })).status).toBe(403);
    expect((await api("POST", path, { key: t.sdk, json: { reason: "r" } })).status).toBe(403);
    expect((await api("POST", "/v1/envs/nowhere/signing-key/rotate", { key: t.admin, json: { reason: "r" } })).status).toBe(404);
    const other = await createTenant(target, api, "not yours");
    expect((await api("POST", "/v1/envs/staging/signing-key/rotate", { key: other.admin, json: { reason: "r" } })).status).toBe(404);
    for (const [json, field] of [
      [{}, "reason"],
      [{ reason: "" }, "reason"],
      [{ reason: "r", overlapSeconds: -1 }, "overlapSeconds"],
      [{ reason: "r", overlapSeconds: 2_592_001 }, "overlapSeconds"],
      [{ reason: "r", overlapSeconds: 1.5 }, "overlapSeconds"],
      [{ reason: "r", overlapSeconds: "60" }, "overlapSeconds"],
      [{ reason: "r", publicKey: "mine" }, "publicKey"],
    ] as const) {
      const res = await api("POST", path, { key: t.admin, json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(field);
    }
    expect((await api("POST", path, { key: t.admin, raw: "{not json", headers: { "content-type": "application/json" } })).status).toBe(400);
    expect((await api("POST", path, { key: t.admin, raw: "reason=r", headers: { "content-type": "text/plain" } })).status).toBe(415);
    // Nothing was rotated by any of them.
    expect((await signingKeys(t)).keys.map((k) => k.n)).toEqual([1]);
  });
});

describe("POST /v1/envs/{env}/epoch", () => {
  it("gives the environment a later epoch, sends every connected SDK a fresh snapshot of it, and is audited", async () => {
    const before = await signingKeys(t);
    const stream = await Stream.open(t.sdk);
    try {
      await stream.next((m) => m.t === "snapshot");
      const from = stream.frames.length;
      const etag = (await api("GET", "/v1/snapshot", { key: t.sdk })).headers.get("etag");
      const res = await api("POST", "/v1/envs/production/epoch", { key: t.admin, json: { reason: "restored from last night's backup" } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toEqual({ env: "production", epoch: expect.stringMatching(EPOCH_PATTERN), version: expect.any(Number), audit: expect.any(Object) });
      expect(res.body.epoch > before.epoch).toBe(true);
      const snapshot = await stream.next((m) => m.t === "snapshot", from);
      expect(openSigned(snapshot).payload).toMatchObject({ epoch: res.body.epoch, v: res.body.version });
      expect(signedBy(snapshot, before.keys[0]!.key)).toBe(true);
      expect((await signingKeys(t)).epoch).toBe(res.body.epoch);
      const after = await api("GET", "/v1/snapshot", { key: t.sdk });
      expect(after.body.epoch).toBe(res.body.epoch);
      expect(after.headers.get("etag")).not.toBe(etag);
      const audit = await api("GET", "/v1/audit?limit=1", { key: t.viewer });
      expect(audit.body.items[0]).toMatchObject({
        action: "environment.epoch",
        key: "production",
        before: { epoch: before.epoch },
        after: { epoch: res.body.epoch },
        reason: "restored from last night's backup",
      });
    } finally {
      stream.close();
    }
  });

  it("is for admins only, and refuses bad input", async () => {
    const epoch = (await signingKeys(t)).epoch;
    expect((await api("POST", "/v1/envs/production/epoch", { key: t.operator, json: { reason: "r" } })).status).toBe(403);
    expect((await api("POST", "/v1/envs/production/epoch", { key: t.sdk, json: { reason: "r" } })).status).toBe(403);
    expect((await api("POST", "/v1/envs/nowhere/epoch", { key: t.admin, json: { reason: "r" } })).status).toBe(404);
    for (const json of [{}, { reason: "" }, { reason: 5 }, { reason: "r", epoch: "000000000000000000000000" }]) {
      expect((await api("POST", "/v1/envs/production/epoch", { key: t.admin, json })).status, JSON.stringify(json)).toBe(400);
    }
    expect((await api("POST", "/v1/envs/production/epoch?now=1", { key: t.admin, json: { reason: "r" } })).status).toBe(400);
    expect((await signingKeys(t)).epoch).toBe(epoch);
  });
});

async function waitUntil(predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}
