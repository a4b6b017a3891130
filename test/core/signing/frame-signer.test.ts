import { describe, expect, it } from "vitest";
import type { CommittedChange } from "../../../src/core/broadcaster.js";
import { generateSigningKeyPair, importPrivateKey } from "../../../src/core/signing/ed25519.js";
import { FrameSigner } from "../../../src/core/signing/frame-signer.js";
import type { SigningKey, SigningSource, SigningState } from "../../../src/core/signing/signing-state.js";
import { snapshotFrame } from "../../../src/core/stream/snapshot-text.js";
import { openSigned, signedBy } from "../../support/signed.js";

const EPOCH = "0000000000010123456789ab";

async function key(n: number, retiresAt = Infinity): Promise<SigningKey & { raw: string }> {
  const pair = await generateSigningKeyPair();
  return { publicKey: pair.publicKey, raw: pair.publicKey, n, privateKey: await importPrivateKey(pair.privateKey), retiresAt };
}

function source(signers: SigningKey[], delays: number[] = []): SigningSource & { state: SigningState } {
  const state: SigningState = { tenantId: "tenant0001", env: "production", epoch: EPOCH, signers };
  return {
    state,
    // The n-th call waits delays[n] ms: a slow read must not let a later patch overtake.
    signingState: async () => {
      const delay = delays.shift() ?? 0;
      if (delay) await new Promise((r) => setTimeout(r, delay));
      return state;
    },
  };
}

const change = (version: number): CommittedChange => ({
  tenantId: "tenant0001",
  env: "production",
  version,
  prev: version - 1,
  committedAt: 0,
  flags: {},
  segments: {},
  removed: { flags: [`f${version}`], segments: [] },
  audit: { seq: version, hash: "ab" },
});

describe("FrameSigner", () => {
  it("signs a patch that names its tenant, environment and epoch, as a verifier reads it", async () => {
    const k = await key(1);
    const text = await new FrameSigner(source([k])).patch(change(5));
    expect(signedBy(text, k.raw)).toBe(true);
    expect(openSigned(text).payload).toEqual({
      t: "patch",
      v: 5,
      prev: 4,
      env: "production",
      epoch: EPOCH,
      tenant: "tenant0001",
      flags: {},
      segments: {},
      removed: { flags: ["f5"], segments: [] },
      audit: { seq: 5, hash: "ab" },
    });
  });

  it("resolves patches in publish order, whatever each one's signing waits for", async () => {
    const k = await key(1);
    const signer = new FrameSigner(source([k], [50, 0, 20]));
    const order: number[] = [];
    await Promise.all([5, 6, 7].map((v) => signer.patch(change(v)).then((text) => order.push(openSigned(text).payload.v))));
    expect(order).toEqual([5, 6, 7]);
  });

  it("sends a patch it cannot sign unsigned, and reports why", async () => {
    const errors: unknown[] = [];
    const broken: SigningSource = { signingState: () => Promise.reject(new Error("database gone")) };
    const text = await new FrameSigner(broken, { onError: (e) => errors.push(e) }).patch(change(5));
    expect(JSON.parse(text)).toMatchObject({ t: "patch", v: 5 });
    expect(text).not.toContain('"sig"');
    expect(errors).toEqual([new Error("database gone")]);
  });

  it("puts a snapshot's serverTime first, outside what is signed", async () => {
    const k = await key(1);
    const text = await new FrameSigner(source([k])).snapshot("tenant0001", "production", { version: 3, flags: {}, segments: {}, epoch: EPOCH });
    const a = snapshotFrame(text, 111);
    const b = snapshotFrame(text, 222);
    expect(a).toMatch(/^\{"serverTime":111,"sig":\{/);
    expect(signedBy(a, k.raw) && signedBy(b, k.raw)).toBe(true);
    expect(openSigned(a).payload).toMatchObject({ t: "snapshot", v: 3, env: "production", epoch: EPOCH, tenant: "tenant0001" });
    expect(text.epoch).toBe(EPOCH);
  });

  it("announces the new key during an overlap only, signed by both keys", async () => {
    let now = 1_000;
    const current = await key(2);
    const previous = await key(1, 5_000);
    const signer = new FrameSigner(source([current, previous]), { now: () => now });
    const announcement = await signer.announcement("tenant0001", "production");
    const frame = snapshotFrame(announcement!, 1);
    expect(openSigned(frame).payload).toEqual({ t: "hb", v: 0, env: "production", epoch: EPOCH, tenant: "tenant0001", key: current.raw, n: 2 });
    expect(signedBy(frame, current.raw) && signedBy(frame, previous.raw)).toBe(true);
    // Both sign the patches meanwhile; after the overlap, the current key alone.
    expect(Object.keys(openSigned(await signer.patch(change(1))).sig)).toEqual([current.raw, previous.raw]);
    now = 5_000;
    expect(await signer.announcement("tenant0001", "production")).toBeNull();
    expect(Object.keys(openSigned(await signer.patch(change(2))).sig)).toEqual([current.raw]);
    expect(await new FrameSigner(source([current])).announcement("tenant0001", "production")).toBeNull();
  });

  it("signs the HTTP snapshot with `sig` first and the body's documented fields", async () => {
    const k = await key(1);
    const signer = new FrameSigner(source([k]));
    const body = await signer.httpSnapshot("tenant0001", "production", { version: 3, flags: {}, segments: {}, epoch: EPOCH, audit: { seq: 1, hash: "x" } });
    expect(signedBy(body, k.raw)).toBe(true);
    expect(openSigned(body).payload).toEqual({ version: 3, env: "production", epoch: EPOCH, tenant: "tenant0001", flags: {}, segments: {} });
    expect(await signer.snapshotEtag("tenant0001", "production", { version: 3, flags: {}, segments: {}, epoch: EPOCH })).toBe(`"3-production-${EPOCH}-1"`);
  });
});
