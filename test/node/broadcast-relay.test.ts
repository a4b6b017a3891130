import { describe, expect, it } from "vitest";
import { BroadcastRelay } from "../../src/node/broadcast-relay.js";
import type { Broadcaster, CommittedChange } from "../../src/core/broadcaster.js";

const change: CommittedChange = {
  tenantId: "t",
  env: "production",
  version: 2,
  prev: 1,
  committedAt: 0,
  flags: {},
  segments: {},
  removed: { flags: [], segments: [] },
};

describe("BroadcastRelay", () => {
  it("drops changes until a target is set, then forwards them", () => {
    const relay = new BroadcastRelay();
    relay.publish(change);
    const heard: unknown[] = [];
    const target: Broadcaster = { publish: (c) => heard.push(c), keyRevoked: (t, k) => heard.push([t, k]) };
    relay.target = target;
    relay.publish(change);
    relay.keyRevoked("t", "key_1");
    expect(heard).toEqual([change, ["t", "key_1"]]);
  });
});
