import { OpenFeature, ProviderEvents, ProviderStatus, type Client } from "@openfeature/server-sdk";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createClient } from "../src/node.js";
import { KillswitchProvider } from "../src/openfeature.js";
import { boolFlag, blockedForForeigners, foreignNationals } from "./support/flags.js";
import { withCacheAt } from "./support/cache-text.js";
import { FakeServer, TEST_KEY, waitFor } from "./support/fake-server.js";

let server: FakeServer;
let domain = 0;

beforeEach(async () => {
  server = await FakeServer.start({
    flags: [
      { ...blockedForForeigners(), staleAfterMs: 400 },
      boolFlag("chat.model", { kind: "string", variants: { a: "model.sonnet", b: "model.fable-5" }, offVariant: "a", fallthrough: { variant: "b" } }),
      boolFlag("chat.tokens", { kind: "number", variants: { low: 256, high: 4096 }, offVariant: "low", fallthrough: { variant: "high" } }),
      boolFlag("chat.limits", { kind: "json", variants: { std: { rpm: 60 }, none: null }, offVariant: "none", fallthrough: { variant: "std" } }),
    ],
    segments: [{ ...foreignNationals(), exclude: ["u-fr"] }],
  });
});

afterEach(async () => {
  await OpenFeature.close();
  await server.close();
});

/** A provider on its own domain, with its OpenFeature client. */
const setUp = async (timeoutMs?: number): Promise<{ provider: KillswitchProvider; of: Client; name: string }> => {
  const name = `killswitch-${++domain}`;
  const provider = new KillswitchProvider({ url: server.url, sdkKey: TEST_KEY, reconnectDelayMs: 20 }, { timeoutMs });
  await OpenFeature.setProviderAndWait(name, provider).catch(() => undefined);
  return { provider, of: OpenFeature.getClient(name), name };
};

const events = (of: Client, event: ProviderEvents): unknown[] => {
  const seen: unknown[] = [];
  of.addHandler(event, (details) => seen.push(details));
  return seen;
};

describe("OpenFeature provider", () => {
  it("resolves the four types, with targetingKey as the context key and the matched rule in the metadata", async () => {
    const { of } = await setUp();
    expect(of.providerStatus).toBe(ProviderStatus.READY);
    expect(await of.getBooleanDetails("model.fable-5", true, { targetingKey: "u2", nationality: "FR" })).toMatchObject({
      value: false,
      variant: "off",
      reason: "TARGETING_MATCH",
      flagMetadata: { ruleId: "r1" },
    });
    // u-fr is excluded from the segment by key: the targetingKey reached the rule engine.
    expect(await of.getBooleanValue("model.fable-5", false, { targetingKey: "u-fr", nationality: "FR" })).toBe(true);
    expect(await of.getStringValue("chat.model", "x", {})).toBe("model.fable-5");
    expect(await of.getNumberValue("chat.tokens", 1, {})).toBe(4096);
    expect(await of.getObjectValue("chat.limits", { rpm: 1 }, {})).toEqual({ rpm: 60 });
  });

  it("returns the caller's default with OpenFeature's error codes", async () => {
    const { of } = await setUp();
    expect(await of.getBooleanDetails("model.typo", false, {})).toMatchObject({ value: false, reason: "ERROR", errorCode: "FLAG_NOT_FOUND" });
    expect(await of.getNumberDetails("chat.model", 3, {})).toMatchObject({ value: 3, reason: "ERROR", errorCode: "TYPE_MISMATCH" });
  });

  it("compares a Date in the context as an ISO 8601 instant", async () => {
    server.change({
      flags: {
        "model.preview": boolFlag("model.preview", {
          rules: [{ id: "late", when: [{ attribute: "signedUp", op: "after", values: ["2026-01-01T00:00:00Z"] }], serve: { variant: "off" } }],
        }),
      },
    });
    const { of } = await setUp();
    expect(await of.getBooleanValue("model.preview", true, { signedUp: new Date("2026-03-01T00:00:00Z") })).toBe(false);
    expect(await of.getBooleanValue("model.preview", false, { signedUp: new Date("2025-03-01T00:00:00Z") })).toBe(true);
  });

  it("emits PROVIDER_CONFIGURATION_CHANGED with flagsChanged on every patch", async () => {
    const { of } = await setUp();
    const changes = events(of, ProviderEvents.ConfigurationChanged);
    server.change({ flags: { "model.sonnet": boolFlag("model.sonnet") } });
    server.change({ segments: { "foreign-nationals": foreignNationals() } });
    await waitFor(() => changes.length === 2, "two change events");
    expect(changes).toMatchObject([{ flagsChanged: ["model.sonnet"] }, { flagsChanged: ["model.fable-5"] }]);
    expect(await of.getBooleanValue("model.fable-5", false, { targetingKey: "u-fr", nationality: "FR" })).toBe(false);
  });

  it("goes STALE when the service falls silent (fail-closed flags off) and READY when it is back", async () => {
    const { of } = await setUp();
    const stale = events(of, ProviderEvents.Stale);
    await server.stop();
    await waitFor(() => stale.length === 1, "PROVIDER_STALE");
    // Registered now: OpenFeature runs a handler for the current status at once.
    const ready = events(of, ProviderEvents.Ready);
    expect(of.providerStatus).toBe(ProviderStatus.STALE);
    expect(await of.getBooleanDetails("model.fable-5", true, { nationality: "US" })).toMatchObject({ value: false, reason: "STALE" });

    await server.restart();
    await waitFor(() => ready.length === 1, "PROVIDER_READY");
    expect(of.providerStatus).toBe(ProviderStatus.READY);
    expect(await of.getBooleanDetails("model.fable-5", false, { nationality: "US" })).toMatchObject({ value: true, reason: "DEFAULT" });
  });

  it("ends initialization in ERROR when nothing is known, serves defaults, and turns READY when the service answers", async () => {
    await server.stop();
    const { of } = await setUp(200);
    expect(of.providerStatus).toBe(ProviderStatus.ERROR);
    expect(await of.getBooleanValue("model.fable-5", false, { nationality: "US" })).toBe(false);
    const ready = events(of, ProviderEvents.Ready);
    await server.restart();
    await waitFor(() => ready.length >= 1, "PROVIDER_READY");
    expect(of.providerStatus).toBe(ProviderStatus.READY);
    expect(await of.getBooleanValue("model.fable-5", false, { nationality: "US" })).toBe(true);
  });

  it("initializes from a stale persisted snapshot as STALE, serving fail-closed flags off", async () => {
    const items = new Map<string, string>();
    const cache = { get: (k: string) => items.get(k), set: (k: string, v: string) => void items.set(k, v) };
    const first = createClient({ url: server.url, sdkKey: TEST_KEY, cache });
    await first.ready();
    await first.close();
    for (const [k, v] of items) items.set(k, withCacheAt(v, Date.now() - 60_000));
    await server.stop();

    const name = `killswitch-${++domain}`;
    const client = createClient({ url: server.url, sdkKey: TEST_KEY, cache, reconnectDelayMs: 20 });
    await OpenFeature.setProviderAndWait(name, new KillswitchProvider(client, { timeoutMs: 200 }));
    const of = OpenFeature.getClient(name);
    await waitFor(() => of.providerStatus === ProviderStatus.STALE, "status STALE");
    expect(await of.getBooleanDetails("model.fable-5", true, { nationality: "US" })).toMatchObject({ value: false, reason: "STALE" });
    await client.close();
  });

  it("closes the client it created when OpenFeature closes", async () => {
    await setUp();
    expect(server.open.size).toBe(1);
    await OpenFeature.close();
    await waitFor(() => server.open.size === 0, "the socket closed");
  });
});
