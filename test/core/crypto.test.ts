import { describe, expect, it } from "vitest";
import { base64url, constantTimeEqual, randomAlphanumeric, sha256Hex } from "../../src/core/crypto.js";

describe("crypto", () => {
  it("hashes with SHA-256 as hex", async () => {
    expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("encodes base64url without padding", () => {
    expect(base64url(new Uint8Array([251, 255, 191]))).toBe("-_-_");
    expect(base64url(new Uint8Array([1]))).toBe("AQ");
  });

  it("draws random ids from [a-z0-9] only", () => {
    const id = randomAlphanumeric(2000);
    expect(id).toMatch(/^[a-z0-9]{2000}$/);
    expect(new Set(id).size).toBe(36);
  });

  it("compares strings for equality, including different lengths", () => {
    expect(constantTimeEqual("secret", "secret")).toBe(true);
    expect(constantTimeEqual("secret", "secreT")).toBe(false);
    expect(constantTimeEqual("secret", "secrets")).toBe(false);
    expect(constantTimeEqual("", "")).toBe(true);
  });
});
