/** The views of an instance record (src/core/receipts/receipt.ts), as the routes show it on every host. */
import { describe, expect, it } from "vitest";
import { instanceView, pendingView } from "../../../src/core/receipts/receipt.js";

describe("an instance record's views", () => {
  it("show an applied version below 0 as null and 0 as 0", () => {
    expect(pendingView({ instance: "a", app: "web", appliedVersion: -1 })).toEqual({ instance: "a", app: "web", appliedVersion: null });
    expect(pendingView({ instance: "a", app: "web", appliedVersion: 0 })).toEqual({ instance: "a", app: "web", appliedVersion: 0 });
  });

  it("show times as ISO 8601, and no last ack before the first", () => {
    const record = { instance: "a", app: "web", sdk: "@killswitch/sdk@0.1.0", connectedAt: 1_000, appliedVersion: -1, lastAckAt: 0 };
    expect(instanceView(record)).toEqual({
      instance: "a",
      app: "web",
      sdk: "@killswitch/sdk@0.1.0",
      connectedAt: new Date(1_000).toISOString(),
      appliedVersion: null,
      lastAckAt: null,
    });
    expect(instanceView({ ...record, appliedVersion: 0, lastAckAt: 2_000 })).toMatchObject({ appliedVersion: 0, lastAckAt: new Date(2_000).toISOString() });
  });
});
