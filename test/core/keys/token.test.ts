import { describe, expect, it } from "vitest";
import { roleAtLeast } from "../../../src/core/keys/roles.js";
import { hashSecret, issueSecret, newTenantId, parseToken, PREFIX_LENGTH } from "../../../src/core/keys/token.js";

describe("tokens", () => {
  it("issues ks_<tenantId>_<secret> with 32 random bytes and stores only a hash and a prefix", async () => {
    const tenantId = newTenantId();
    const issued = await issueSecret(tenantId);
    expect(issued.token).toMatch(new RegExp(`^ks_${tenantId}_[A-Za-z0-9_-]{43}$`));
    const secret = issued.token.slice(`ks_${tenantId}_`.length);
    expect(issued.prefix).toBe(secret.slice(0, PREFIX_LENGTH));
    expect(issued.secretHash).toBe(await hashSecret(secret));
    expect(issued.secretHash).not.toContain(secret);
  });

  it("parses by position, so a secret may contain _ and -", () => {
    const secret = `_a-b_${"c".repeat(38)}`;
    expect(parseToken(`ks_abcdefghij_${secret}`)).toEqual({ tenantId: "abcdefghij", secret, prefix: secret.slice(0, PREFIX_LENGTH) });
  });

  it.each([
    ["no prefix", `abcdefghij_${"a".repeat(43)}`],
    ["a short tenant id", `ks_abc_${"a".repeat(43)}`],
    ["an upper-case tenant id", `ks_ABCDEFGHIJ_${"a".repeat(43)}`],
    ["a short secret", `ks_abcdefghij_${"a".repeat(42)}`],
    ["a long secret", `ks_abcdefghij_${"a".repeat(44)}`],
    ["a character outside base64url", `ks_abcdefghij_${"a".repeat(42)}+`],
  ])("rejects %s", (_name, token) => {
    expect(parseToken(token)).toBeNull();
  });
});

describe("roles", () => {
  it("orders admin above operator above viewer, and gives sdk keys no admin role", () => {
    expect(roleAtLeast("admin", "operator")).toBe(true);
    expect(roleAtLeast("operator", "operator")).toBe(true);
    expect(roleAtLeast("operator", "admin")).toBe(false);
    expect(roleAtLeast("viewer", "viewer")).toBe(true);
    expect(roleAtLeast("sdk", "viewer")).toBe(false);
  });
});
