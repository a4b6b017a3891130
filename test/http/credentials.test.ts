import { describe, expect, it } from "vitest";
import { admitV1, credentialOf, isRootToken, keyToucher, sdkKeyChecker, selectSubprotocol, type KeyedRoute } from "../../src/http/credentials.js";
import type { AuthenticatedKey } from "../../src/core/store/index.js";

const KEY = `ks_abcdefghij_${"A".repeat(43)}`;
const ROOT = "root-token-of-this-test-0000000000";
const headers = (values: Record<string, string>) => (name: string) => values[name] ?? null;
const read = (values: Record<string, string>, route: KeyedRoute) => credentialOf(headers(values), route);

describe("credentialOf", () => {
  it("reads Authorization: Bearer first, on every route", () => {
    for (const route of ["v1", "ofrep", "stream"] as const) {
      expect(read({ authorization: `Bearer ${KEY}`, "x-api-key": "other", "sec-websocket-protocol": "killswitch.v1, other" }, route)).toBe(KEY);
    }
  });

  it("does not fall back to another header when Authorization is malformed", () => {
    expect(read({ authorization: `Basic ${KEY}`, "x-api-key": KEY }, "ofrep")).toBeNull();
    expect(read({ authorization: `Bearer`, "sec-websocket-protocol": `killswitch.v1, ${KEY}` }, "stream")).toBeNull();
  });

  it("reads X-API-Key on OFREP only", () => {
    expect(read({ "x-api-key": KEY }, "ofrep")).toBe(KEY);
    expect(read({ "x-api-key": ` ${KEY} ` }, "ofrep")).toBe(KEY);
    expect(read({ "x-api-key": KEY }, "v1")).toBeNull();
    expect(read({ "x-api-key": KEY }, "stream")).toBeNull();
  });

  it("reads the key offered beside killswitch.v1, in either order, on the stream only", () => {
    expect(read({ "sec-websocket-protocol": `killswitch.v1, ${KEY}` }, "stream")).toBe(KEY);
    expect(read({ "sec-websocket-protocol": `${KEY}, killswitch.v1` }, "stream")).toBe(KEY);
    expect(read({ "sec-websocket-protocol": KEY }, "stream")).toBeNull();
    expect(read({ "sec-websocket-protocol": `killswitch.v1, ${KEY}, x` }, "stream")).toBeNull();
    expect(read({ "sec-websocket-protocol": `killswitch.v1, ${KEY}` }, "v1")).toBeNull();
  });
});

describe("selectSubprotocol", () => {
  it("answers ours only, so that a key offered beside it is never echoed", () => {
    expect(selectSubprotocol([KEY, "killswitch.v1"])).toBe("killswitch.v1");
    expect(selectSubprotocol([KEY])).toBeNull();
  });
});

describe("admitV1", () => {
  it("refuses no credential 401, with the stream's own wording on the stream", () => {
    expect(admitV1(headers({}), "GET", "/v1/flags", ROOT)).toEqual({ kind: "refused", status: 401, detail: "Send Authorization: Bearer <key>." });
    expect(admitV1(headers({}), "GET", "/v1/stream", ROOT)).toMatchObject({ kind: "refused", status: 401, detail: expect.stringContaining("Sec-WebSocket-Protocol") });
  });

  it("lets the root token create tenants and nothing else", () => {
    const root = headers({ authorization: `Bearer ${ROOT}` });
    expect(admitV1(root, "POST", "/v1/tenants", ROOT)).toEqual({ kind: "root" });
    expect(admitV1(root, "GET", "/v1/tenants", ROOT)).toMatchObject({ kind: "refused", status: 403 });
    expect(admitV1(root, "GET", "/v1/stream", ROOT)).toMatchObject({ kind: "refused", status: 403 });
  });

  it("reads the key a browser offers beside the subprotocol on the stream's upgrade only", () => {
    const offered = headers({ "sec-websocket-protocol": `killswitch.v1, ${KEY}` });
    expect(admitV1(offered, "GET", "/v1/stream", ROOT)).toEqual({ kind: "key", token: KEY });
    expect(admitV1(offered, "GET", "/v1/flags", ROOT)).toEqual({ kind: "refused", status: 401, detail: "Send Authorization: Bearer <key>." });
  });

  it("refuses the root token on any other route, whatever the method", () => {
    const root = headers({ authorization: `Bearer ${ROOT}` });
    expect(admitV1(root, "POST", "/v1/flags", ROOT)).toEqual({ kind: "refused", status: 403, detail: "The root token may only create tenants (POST /v1/tenants)." });
    expect(admitV1(root, "DELETE", "/v1/tenants", ROOT)).toMatchObject({ kind: "refused", status: 403 });
  });

  it("hands any other token on to be looked up; without a root token configured nothing is root", () => {
    expect(admitV1(headers({ authorization: `Bearer ${KEY}` }), "GET", "/v1/flags", ROOT)).toEqual({ kind: "key", token: KEY });
    expect(admitV1(headers({ authorization: `Bearer ${ROOT}` }), "POST", "/v1/tenants", undefined)).toEqual({ kind: "key", token: ROOT });
    expect(isRootToken(ROOT, "")).toBe(false);
  });
});

describe("sdkKeyChecker", () => {
  const key = (role: AuthenticatedKey["role"], env: string | null): AuthenticatedKey => ({ tenantId: "abcdefghij", keyId: `k-${role}`, name: role, role, env });
  const keys: Record<string, AuthenticatedKey> = { sdk: key("sdk", "production"), admin: key("admin", null) };
  const store = { authenticate: async (token: string) => keys[token] ?? null };
  const noTouch = () => {};

  it("passes an sdk key and records its use through the toucher it was given, on that toucher's clock", async () => {
    let now = 1_000_000;
    const touched: [string, number][] = [];
    const touchKey = keyToucher({ store: { touchKey: async (_tenant, keyId, at) => void touched.push([keyId, at]) }, clock: () => now });
    const check = sdkKeyChecker({ store, rootToken: ROOT, touchKey }, "stream");
    expect(await check("sdk")).toEqual({ ok: true, key: keys.sdk });
    expect(await check("sdk")).toMatchObject({ ok: true });
    now += 60_000;
    expect(await check("sdk")).toMatchObject({ ok: true });
    expect(touched).toEqual([
      ["k-sdk", 1_000_000],
      ["k-sdk", 1_060_000],
    ]);
  });

  it("records a key used on the stream, OFREP and the API within a minute once, when they share one toucher", async () => {
    const uses: string[] = [];
    const touchKey = keyToucher({ store: { touchKey: async (_tenant, keyId) => void uses.push(keyId) }, clock: () => 5_000_000 });
    await sdkKeyChecker({ store, touchKey }, "stream")("sdk");
    await sdkKeyChecker({ store, touchKey }, "ofrep")("sdk");
    touchKey(keys.sdk!);
    expect(uses).toEqual(["k-sdk"]);
  });

  it("records no use of a refused key", async () => {
    const uses: string[] = [];
    const check = sdkKeyChecker({ store, rootToken: ROOT, touchKey: (key) => void uses.push(key.keyId) }, "ofrep");
    await check("admin");
    await check("nope");
    await check(ROOT);
    expect(uses).toEqual([]);
  });

  it("refuses no key and an unknown key 401, the root token and another role 403", async () => {
    const check = sdkKeyChecker({ store, rootToken: ROOT, touchKey: noTouch }, "ofrep");
    expect(await check(null)).toMatchObject({ ok: false, status: 401 });
    expect(await check("nope")).toMatchObject({ ok: false, status: 401, detail: "The key is malformed, unknown or revoked." });
    expect(await check(ROOT)).toMatchObject({ ok: false, status: 403, detail: expect.stringContaining("root token") });
    expect(await check("admin")).toMatchObject({ ok: false, status: 403, detail: "OFREP takes an sdk key; this key is admin." });
  });

  it("tells each route's refusals in that route's words: OFREP's, or the stream's", async () => {
    expect(await sdkKeyChecker({ store, rootToken: ROOT, touchKey: noTouch }, "ofrep")(ROOT)).toEqual({
      ok: false,
      status: 403,
      detail: "The root token may only create tenants; OFREP takes an sdk key.",
      reason: "forbidden",
    });
    const stream = sdkKeyChecker({ store, rootToken: ROOT, touchKey: noTouch }, "stream");
    expect(await stream(ROOT)).toEqual({ ok: false, status: 403, detail: "The root token may only create tenants (POST /v1/tenants).", reason: "forbidden" });
    expect(await stream("admin")).toEqual({ ok: false, status: 403, detail: "A stream needs an sdk key; this key is admin.", reason: "forbidden" });
  });
});

describe("keyToucher", () => {
  const key = (keyId: string): AuthenticatedKey => ({ tenantId: "abcdefghij", keyId, name: keyId, role: "admin", env: null });
  const toucher = () => {
    const touched: string[] = [];
    const touch = keyToucher({
      store: { touchKey: async (_tenant, keyId) => void touched.push(keyId) },
      clock: () => 1_000_000,
    });
    return { touch, touched };
  };

  it("records each key's use once a minute, however the uses of several keys interleave", () => {
    const { touch, touched } = toucher();
    for (const id of ["a", "b", "a", "b", "a"]) touch(key(id));
    expect(touched).toEqual(["a", "b"]);
  });

  it("remembers at most 10,000 keys: past them it starts over, and a key is recorded again", () => {
    const { touch, touched } = toucher();
    for (let i = 0; i < 10_000; i++) touch(key(`k${i}`));
    touch(key("k0"));
    expect(touched).toHaveLength(10_000); // k0 still remembered
    touch(key("k10000")); // the 10,001st key: the memory starts over with it
    touch(key("k0"));
    expect(touched.slice(10_000)).toEqual(["k10000", "k0"]);
  });
});
