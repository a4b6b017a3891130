import type { IncomingMessage } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startHarness, TestClient, type Harness } from "./harness.js";

let h: Harness;
afterEach(async () => h?.close());

/** Attempt an upgrade that should be refused; return the plain HTTP answer. */
function refused(url: string, options: { headers?: Record<string, string>; protocols?: string[]; path?: string } = {}) {
  return new Promise<{ status: number; contentType: string | undefined; body: Record<string, unknown> }>(
    (resolve, reject) => {
      const ws = new WebSocket(`${url}${options.path ?? "/v1/stream"}`, options.protocols, { headers: options.headers });
      ws.on("open", () => reject(new Error("the upgrade was accepted")));
      ws.on("error", () => {}); // ws reports the refusal as an error too
      ws.on("unexpected-response", (_req, res: IncomingMessage) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d));
        res.on("end", () =>
          resolve({ status: res.statusCode!, contentType: res.headers["content-type"], body: JSON.parse(text) }),
        );
      });
    },
  );
}

describe("stream upgrade authentication", () => {
  it("refuses an upgrade without a key with 401 and problem JSON", async () => {
    h = await startHarness();
    const r = await refused(h.url);
    expect(r.status).toBe(401);
    expect(r.contentType).toBe("application/problem+json");
    expect(r.body).toMatchObject({ status: 401, title: "Unauthorized" });
    expect(String(r.body.detail)).toContain("Authorization: Bearer");
  });

  it("refuses an unknown key with 401 and a key without the sdk role with 403", async () => {
    h = await startHarness();
    expect((await refused(h.url, { headers: { authorization: "Bearer ks_tenant0001_nope" } })).status).toBe(401);
    expect((await refused(h.url, { headers: { authorization: "Basic abc" } })).status).toBe(401);
    const admin = await refused(h.url, { headers: { authorization: "Bearer ks_tenant0001_admin" } });
    expect(admin.status).toBe(403);
    expect(admin.body.detail).toContain("admin key");
  });

  it("never reads a key from the URL", async () => {
    h = await startHarness();
    const r = await refused(h.url, { path: "/v1/stream?key=ks_tenant0001_prod&token=ks_tenant0001_prod" });
    expect(r.status).toBe(401);
  });

  it("answers 404 for another path", async () => {
    h = await startHarness();
    const r = await refused(h.url, { path: "/v1/other", headers: { authorization: "Bearer ks_tenant0001_prod" } });
    expect(r.status).toBe(404);
  });

  it.each([
    ["killswitch.v1 first", ["killswitch.v1", "ks_tenant0001_prod"]],
    ["the key first", ["ks_tenant0001_prod", "killswitch.v1"]],
  ])("takes the key from Sec-WebSocket-Protocol (%s) and selects only killswitch.v1", async (_name, protocols) => {
    h = await startHarness();
    const ws = new WebSocket(`${h.url}/v1/stream`, protocols);
    let selected: string | undefined;
    ws.on("upgrade", (res: IncomingMessage) => (selected = res.headers["sec-websocket-protocol"] as string));
    const client = new TestClient(ws);
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    expect(selected).toBe("killswitch.v1");
    expect(ws.protocol).toBe("killswitch.v1");
    client.hello();
    expect(await client.next()).toMatchObject({ t: "snapshot", env: "production" });
  });

  it("refuses a subprotocol offer without killswitch.v1", async () => {
    h = await startHarness();
    expect((await refused(h.url, { protocols: ["other.v1", "ks_tenant0001_prod"] })).status).toBe(401);
  });

  it("answers 503 when keys cannot be checked, and reports the cause", async () => {
    const errors: unknown[] = [];
    h = await startHarness({
      authenticate: async () => {
        throw new Error("database is locked");
      },
      onError: (e) => errors.push(e),
    });
    const r = await refused(h.url, { headers: { authorization: "Bearer ks_tenant0001_prod" } });
    expect(r.status).toBe(503);
    expect(errors).toHaveLength(1);
  });

  it("refuses an upgrade whose key was revoked while it was being looked up", async () => {
    let release!: () => void;
    const lookedUp = new Promise<void>((resolve) => (release = resolve));
    let asked!: () => void;
    const asking = new Promise<void>((resolve) => (asked = resolve));
    h = await startHarness({
      // The lookup read the key before the revocation and answers after it.
      authenticate: async () => {
        asked();
        await lookedUp;
        return { tenantId: "tenant0001", env: "production", keyId: "key-prod" };
      },
    });
    const answer = refused(h.url, { headers: { authorization: "Bearer ks_tenant0001_prod" } });
    await asking;
    h.hub.keyRevoked("tenant0001", "key-prod");
    release();
    expect((await answer).status).toBe(401);
  });

  it("accepts a bearer key and uses its environment", async () => {
    h = await startHarness();
    const c = await TestClient.open(h.url, "ks_tenant0001_staging");
    expect(c.ws.protocol).toBe("");
    c.hello();
    expect(await c.next()).toMatchObject({ t: "snapshot", env: "staging" });
  });
});
