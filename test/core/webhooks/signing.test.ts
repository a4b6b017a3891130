import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { newWebhookSecret, signedHeaders, signMessage } from "../../../src/core/webhooks/signing.js";

describe("webhook signing", () => {
  it("signs as the Standard Webhooks reference implementation does", async () => {
    const secret = newWebhookSecret();
    const at = new Date("2026-12-07T12:00:00Z");
    const body = JSON.stringify({ type: "change.committed", data: { flag: "model.a", reason: "ünïcode ✓" } });
    expect(await signMessage(secret, "msg_1", at.getTime() / 1000, body)).toBe(new Webhook(secret).sign("msg_1", at, body));
  });

  it("makes headers the reference implementation verifies, with every secret given", async () => {
    const [current, previous] = [newWebhookSecret(), newWebhookSecret()];
    const body = '{"type":"change.complete"}';
    const headers = await signedHeaders([current, previous], "msg_2", Math.floor(Date.now() / 1000), body);
    expect(headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    expect(new Webhook(current).verify(body, headers)).toEqual({ type: "change.complete" });
    expect(new Webhook(previous).verify(body, headers)).toEqual({ type: "change.complete" });
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(current).verify(body.replace("complete", "committed"), headers)).toThrow();
  });

  it("makes secrets of 32 random bytes behind whsec_", () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(atob(secret.slice("whsec_".length))).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(secret);
  });
});
