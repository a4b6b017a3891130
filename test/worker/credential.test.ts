import { describe, expect, it } from "vitest";
import { credentialOf, tenantIdOfKey } from "../../src/worker/credential.js";

const KEY = `ks_abcdefghij_${"A".repeat(43)}`;
const request = (headers: Record<string, string>) => new Request("http://host/v1/stream", { headers });

describe("credentialOf", () => {
  it("reads Authorization: Bearer first", () => {
    expect(credentialOf(request({ authorization: `Bearer ${KEY}`, "x-api-key": "other" }))).toBe(KEY);
  });

  it("does not fall back to another header when Authorization is malformed", () => {
    expect(credentialOf(request({ authorization: `Basic ${KEY}`, "x-api-key": KEY }))).toBeNull();
  });

  it("reads X-API-Key (OFREP)", () => {
    expect(credentialOf(request({ "x-api-key": KEY }))).toBe(KEY);
  });

  it("reads the key offered beside killswitch.v1, in either order, and nothing else", () => {
    expect(credentialOf(request({ "sec-websocket-protocol": `killswitch.v1, ${KEY}` }))).toBe(KEY);
    expect(credentialOf(request({ "sec-websocket-protocol": `${KEY}, killswitch.v1` }))).toBe(KEY);
    expect(credentialOf(request({ "sec-websocket-protocol": KEY }))).toBeNull();
    expect(credentialOf(request({ "sec-websocket-protocol": `killswitch.v1, ${KEY}, x` }))).toBeNull();
  });
});

describe("tenantIdOfKey", () => {
  it("takes the tenant id of a well-formed key", () => {
    expect(tenantIdOfKey(KEY)).toBe("abcdefghij");
  });

  it.each([
    ["upper case", `ks_ABCDEFGHIJ_${"A".repeat(43)}`],
    ["nine characters", `ks_abcdefghi_${"A".repeat(43)}`],
    ["a short secret", "ks_abcdefghij_secret"],
    ["no prefix", `abcdefghij_${"A".repeat(43)}`],
    ["a path in the id", `ks_../../abcd_${"A".repeat(43)}`],
  ])("refuses a key with %s", (_, key) => {
    expect(tenantIdOfKey(key)).toBeNull();
  });
});
