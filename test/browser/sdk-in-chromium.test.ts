/**
 * The SDK's universal core in a real browser: headless Chromium loads sdk/dist/index.js
 * as an ES module from a page on its own origin, connects to the real Node service over
 * the browser's WebSocket (key in the subprotocol, never in the URL), evaluates a flag,
 * and sees an operator's kill arrive as a `change` event.
 *
 * The page's origin differs from the service's. The client is ready from the socket's
 * snapshot: nothing polls here (the cross-origin poll is cors-in-chromium.test.ts's).
 */
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Page, WebSocket as PageWebSocket } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import type { ChangeEvent, EvaluationResult, ReadyStatus } from "@killswitch/sdk";
import type { Api } from "../support/api.js";
import type { ContractTarget } from "../support/contract-target.js";
import type { TestTenant } from "../support/tenants.js";
import { startSdkPage, type SdkPage } from "./support/sdk-page.js";

const FLAG = "model.fable-5";

/** What page/index.html puts on `window`. */
interface Harness {
  pinned(url: string, sdkKey: string, flag: string, keys: readonly string[]): Promise<{ status: ReadyStatus; version: number; evaluation: EvaluationResult; errors: string[] }[]>;
  start(url: string, sdkKey: string, flag: string): Promise<{ status: ReadyStatus; version: number; env: string | undefined; instance: string; evaluation: EvaluationResult }>;
  evaluate(flag: string, defaultValue: boolean): EvaluationResult;
  close(): Promise<void>;
}
type PageChange = ChangeEvent & { evaluation: EvaluationResult };

let browserPage: SdkPage;
let target: ContractTarget;
let api: Api;
let t: TestTenant;
let page: Page;
let pageErrors: string[];
const sockets: PageWebSocket[] = [];
const framesReceived: string[] = [];
const changes: PageChange[] = [];
const serviceRequests: string[] = [];

const chromium = inject("chromium");

// Without a browser the run says so once (support/chromium-setup.ts) and these skip.
describe.skipIf("missing" in chromium)("the SDK in headless Chromium", () => {
  beforeAll(async () => {
    browserPage = await startSdkPage(chromium, readFileSync(fileURLToPath(new URL("./page/index.html", import.meta.url))), FLAG);
    ({ target, api, t, page, pageErrors } = browserPage);
    page.on("request", (request) => {
      if (request.url().startsWith(target.baseUrl)) serviceRequests.push(`${request.method()} ${request.url()}`);
    });
    page.on("websocket", (ws) => {
      sockets.push(ws);
      ws.on("framereceived", ({ payload }) => framesReceived.push(typeof payload === "string" ? payload : payload.toString("utf8")));
    });
    await page.exposeFunction("reportChange", (change: PageChange) => changes.push(change));
    await page.exposeFunction("reportError", (message: string) => pageErrors.push(`client error: ${message}`));
    await browserPage.load();
  });

  afterAll(async () => {
    await page?.evaluate(() => (window as unknown as { harness: Harness }).harness.close()).catch(() => {});
    await browserPage?.close();
  });

  it(
    "connects over the browser's WebSocket, evaluates, and applies a kill pushed by the service",
    async () => {
      const started = await page.evaluate(
        ([url, sdkKey, flag]) => (window as unknown as { harness: Harness }).harness.start(url, sdkKey, flag),
        [target.baseUrl, t.sdk, FLAG] as const,
      );
      expect(started).toMatchObject({ status: "ready", env: "production", evaluation: { value: true, variant: "on", reason: "STATIC" } });
      // The version the service holds: nothing was changed since the flag was created.
      expect(started.version).toBe((await api("GET", "/v1/envs/production/snapshot", { key: t.viewer })).body.version);

      // One socket, to the stream; the key rides in Sec-WebSocket-Protocol, not the URL.
      const streamUrl = `${target.baseUrl.replace(/^http/, "ws")}/v1/stream`;
      expect(sockets.map((ws) => ws.url())).toEqual([streamUrl]);
      // `ks_<tenantId>_<secret>`; the secret itself may hold `_` (base64url).
      expect(t.sdk.startsWith(`ks_${t.id}_`)).toBe(true);
      const secret = t.sdk.slice(`ks_${t.id}_`.length);
      expect(secret.length).toBeGreaterThan(8);
      for (const ws of sockets) {
        expect(ws.url()).not.toContain(t.sdk);
        expect(decodeURIComponent(ws.url())).not.toContain(secret);
      }
      expect(framesReceived.some((frame) => frame.startsWith("{") && JSON.parse(frame).t === "snapshot")).toBe(true);
      // Nothing reached the service over HTTP: no snapshot poll (cross-origin, it would need CORS).
      expect(serviceRequests).toEqual([]);
      // The service lists the browser as a connected instance.
      await vi.waitFor(
        async () => {
          const instances = await api("GET", "/v1/envs/production/instances", { key: t.viewer });
          expect(instances.body.items).toEqual([expect.objectContaining({ instance: started.instance, app: "browser-test" })]);
        },
        { timeout: 10_000, interval: 100 },
      );

      const kill = await api("POST", `/v1/envs/production/flags/${FLAG}/kill`, { key: t.operator, json: { reason: "browser test" } });
      expect(kill.status, JSON.stringify(kill.body)).toBe(200);
      const version: number = kill.body.version;
      expect(version).toBeGreaterThan(started.version);

      await vi.waitFor(() => expect(changes.some((change) => change.version >= version)).toBe(true), { timeout: 10_000, interval: 50 });
      const change = changes.find((c) => c.version >= version)!;
      expect(change.flags).toContain(FLAG);
      expect(change.evaluation).toEqual({ value: false, variant: "off", reason: "DISABLED" });
      // Read again now, from the page: the kill holds, whatever the caller's default.
      const now = await page.evaluate((flag) => (window as unknown as { harness: Harness }).harness.evaluate(flag, true), FLAG);
      expect(now).toEqual({ value: false, variant: "off", reason: "DISABLED" });

      // Still one socket: the kill arrived as a push on it, not through a reconnect or a poll.
      expect(sockets).toHaveLength(1);
      expect(serviceRequests).toEqual([]);
      expect(pageErrors).toEqual([]);
    },
    60_000,
  );

  it(
    "verifies signed state with the browser's WebCrypto: the environment's key is taken, another key refused",
    async () => {
      const { keys } = (await api("GET", "/v1/envs/production/signing-key", { key: t.viewer })).body as { keys: { key: string }[] };
      const other = generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" }).subarray(-32).toString("base64url");
      const version = (await api("GET", "/v1/envs/production/snapshot", { key: t.viewer })).body.version as number;
      const [right, wrong] = await page.evaluate(
        ([url, sdkKey, flag, publicKeys]) => (window as unknown as { harness: Harness }).harness.pinned(url, sdkKey, flag, publicKeys),
        [target.baseUrl, t.sdk, FLAG, [keys[0]!.key, other]] as const,
      );
      // The kill of the test above, verified and applied.
      expect(right).toEqual({ status: "ready", version, evaluation: { value: false, variant: "off", reason: "DISABLED" }, errors: [] });
      expect(wrong!.status).toBe("defaults");
      expect(wrong!.errors).toContain("invalid sig");
      expect(wrong!.evaluation).toMatchObject({ value: true, reason: "ERROR" });
    },
    60_000,
  );
});
