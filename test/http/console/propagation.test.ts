/**
 * The propagation bar as the console renders it from a receipt: what it says
 * in words, and whether console.js keeps following it (`data-live-fragment`).
 */
import { expect, it } from "vitest";
import type { PropagationReceipt } from "../../../src/core/schemas/responses.js";
import { Propagation } from "../../../src/http/console/pages/propagation.js";

const receipt = (over: Partial<PropagationReceipt>): PropagationReceipt => ({
  version: 7,
  committedAt: "2026-12-07T17:24:00.000Z",
  connected: 2,
  acked: 1,
  pending: [{ instance: "i-slow", app: "web", appliedVersion: 6 }],
  latencyMs: { p50: 40, p99: 90, max: 95 },
  status: "pending",
  complete: false,
  ...over,
});

async function render(value: PropagationReceipt | null): Promise<string> {
  return String(await Propagation({ env: "production", version: 7, receipt: value }).toString());
}

it("follows a receipt while it is pending and not final, naming the pending instances", async () => {
  const html = await render(receipt({ final: false }));
  expect(html).toContain('data-live-fragment="/console/envs/production/changes/7"');
  expect(html).toContain('data-env="production"');
  expect(html).toContain('data-version="7"');
  expect(html).toContain("In progress: applied by 1 of 2 connected instances (50 %). p99 90 ms.");
  expect(html).toContain("i-slow");
});

it("stops following a receipt saved as final while still pending, and says it is final", async () => {
  const html = await render(receipt({ final: true, savedBecause: "timeout", savedAt: "2026-12-07T17:34:00.000Z" }));
  expect(html).not.toContain("data-live-fragment");
  expect(html).toContain("Incomplete, and final: applied by 1 of 2 connected instances (50 %) 10 minutes after the commit");
});

it("says complete with the share, and says so instead of a bar when nobody was connected", async () => {
  const complete = await render(receipt({ status: "complete", complete: true, acked: 2, pending: [], final: true, savedBecause: "complete" }));
  expect(complete).toContain("Complete: applied by 2 of 2 connected instances (100 %).");
  expect(complete).toContain('<progress max="2" value="2"');
  const nobody = await render(receipt({ status: "no-instances", connected: 0, acked: 0, pending: [], latencyMs: { p50: null, p99: null, max: null } }));
  expect(nobody).toContain("No SDK instance was connected when version 7 was committed");
  expect(nobody).not.toContain("<progress");
  expect(nobody).not.toContain("data-live-fragment");
});
