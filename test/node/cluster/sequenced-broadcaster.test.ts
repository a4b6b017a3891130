/**
 * SequencedBroadcaster: each environment's changes reach the target once each,
 * in version order, when the process's own commits and the commit feed offer
 * them in any order. Gaps are filled from a real store's change log, or from a
 * source whose answers the test releases one by one (to offer changes while a
 * fill is in flight).
 */
import { afterEach, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../../../src/core/actor.js";
import type { Broadcaster, CommittedChange, StreamSource } from "../../../src/core/broadcaster.js";
import { SequencedBroadcaster } from "../../../src/node/cluster/sequenced-broadcaster.js";
import { openTempStore, type TempStore } from "../../support/temp-db.js";

const TENANT = "t000000001";

function change(version: number, env = "production", prev = version - 1): CommittedChange {
  return { tenantId: TENANT, env, version, prev, committedAt: 0, flags: {}, segments: {}, removed: { flags: [], segments: [] } };
}

function recorder(): Broadcaster & { heard: string[] } {
  const heard: string[] = [];
  return {
    heard,
    publish: (c) => heard.push(`${c.env}@${c.version}`),
    keyRevoked: (tenantId, keyId) => heard.push(`revoked ${tenantId}/${keyId}`),
  };
}

/** A change log whose reads answer when the test says so. */
function heldSource() {
  const calls: { since: number; answer: (changes: CommittedChange[] | null) => void; fail: (error: unknown) => void }[] = [];
  const source: Pick<StreamSource, "changesSince"> = {
    changesSince: (_tenantId, _env, since) =>
      new Promise((resolve, reject) => calls.push({ since, answer: resolve, fail: reject })),
  };
  return { source, calls };
}

/** Lets settled promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function sequenced(source: Pick<StreamSource, "changesSince">) {
  const errors: unknown[] = [];
  const out = recorder();
  const broadcaster = new SequencedBroadcaster(source, (error) => errors.push(error));
  broadcaster.target = out;
  return { broadcaster, heard: out.heard, errors };
}

describe("in order", () => {
  it("passes each environment's contiguous changes straight through", () => {
    const { source, calls } = heldSource();
    const { broadcaster, heard } = sequenced(source);
    // The first change seen of an environment passes whatever its prev: there is nothing to order it after.
    broadcaster.publish(change(7));
    broadcaster.publish(change(8));
    broadcaster.publish(change(1, "staging"));
    broadcaster.publish(change(9));
    broadcaster.publish(change(2, "staging"));
    expect(heard).toEqual(["production@7", "production@8", "staging@1", "production@9", "staging@2"]);
    expect(calls).toEqual([]);
    expect(broadcaster.idle).toBe(true);
    expect(broadcaster.lastVersion(TENANT, "production")).toBe(9);
    expect(broadcaster.lastVersion(TENANT, "development")).toBeUndefined();
  });

  it("drops a version already passed on, whichever source offered it first", () => {
    const { source } = heldSource();
    const { broadcaster, heard } = sequenced(source);
    broadcaster.publish(change(1)); // this process's commit returns
    broadcaster.publish(change(1)); // then the feed reads it back
    broadcaster.publish(change(2)); // the feed is faster this time
    broadcaster.publish(change(2)); // than the commit's own publish
    broadcaster.publish(change(1)); // and a late, older one
    expect(heard).toEqual(["production@1", "production@2"]);
  });

  it("forwards revoked keys", () => {
    const { source } = heldSource();
    const { broadcaster, heard } = sequenced(source);
    broadcaster.keyRevoked(TENANT, "key_1");
    expect(heard).toEqual([`revoked ${TENANT}/key_1`]);
  });

  it("reports a throwing target and keeps passing later changes", () => {
    const { source } = heldSource();
    const errors: unknown[] = [];
    const broadcaster = new SequencedBroadcaster(source, (error) => errors.push(error));
    const heard: number[] = [];
    broadcaster.target = {
      publish: (c) => {
        if (c.version === 2) throw new Error("socket layer broke");
        heard.push(c.version);
      },
      keyRevoked() {},
    };
    broadcaster.publish(change(1));
    broadcaster.publish(change(2));
    broadcaster.publish(change(3));
    broadcaster.publish(change(2)); // handed over once: not retried
    expect(heard).toEqual([1, 3]);
    expect(errors).toEqual([new Error("socket layer broke")]);
  });
});

describe("a gap", () => {
  const opened: TempStore[] = [];
  afterEach(() => {
    for (const t of opened.splice(0)) t.close();
  });

  it("reads the missing versions from the store's change log, then passes the change", async () => {
    const t = await openTempStore();
    opened.push(t);
    const { tenant } = await t.store.createTenant({ name: "acme" });
    await t.store.createFlag(tenant.id, SYSTEM_ACTOR, { key: "f", kind: "boolean" });
    for (let i = 0; i < 2; i++) {
      await t.store.killFlag(tenant.id, SYSTEM_ACTOR, "production", "f", { reason: "r" });
      await t.store.restoreFlag(tenant.id, SYSTEM_ACTOR, "production", "f", { reason: "r" });
    }
    const log = (await t.store.changesSince(tenant.id, "production", 0))!;
    expect(log.map((c) => c.version)).toEqual([1, 2, 3, 4, 5]);

    const heard: CommittedChange[] = [];
    const broadcaster = new SequencedBroadcaster(t.store);
    broadcaster.target = { publish: (c) => heard.push(c), keyRevoked() {} };
    broadcaster.publish(log[2]!); // version 3 passes: the first seen
    broadcaster.publish(log[4]!); // version 5: 4 is missing
    expect(heard.map((c) => c.version)).toEqual([3]);
    expect(broadcaster.idle).toBe(false);
    await waitIdle(broadcaster);
    expect(heard.map((c) => c.version)).toEqual([3, 4, 5]);
    expect(heard[1]).toEqual(log[3]); // what the log holds: version 4 as committed (killed)
    expect(heard[1]!.flags.f).toMatchObject({ enabled: false });
  });

  it("holds what is offered during the read, and passes it once, in order, after the missing versions", async () => {
    const { source, calls } = heldSource();
    const { broadcaster, heard } = sequenced(source);
    broadcaster.publish(change(3));
    broadcaster.publish(change(5));
    expect(calls.map((c) => c.since)).toEqual([3]);
    expect(broadcaster.idle).toBe(false);
    broadcaster.publish(change(6));
    broadcaster.publish(change(4)); // the feed catches up meanwhile
    broadcaster.publish(change(5));
    broadcaster.publish(change(1, "staging")); // another environment is not held
    expect(heard).toEqual(["production@3", "staging@1"]);

    calls[0]!.answer([change(4), change(5)]);
    await settle();
    expect(heard).toEqual(["production@3", "staging@1", "production@4", "production@5", "production@6"]);
    expect(broadcaster.idle).toBe(true);
    expect(calls).toHaveLength(1);
  });

  it("passes the change anyway when the read fails, and reports the error", async () => {
    const { source, calls } = heldSource();
    const { broadcaster, heard, errors } = sequenced(source);
    broadcaster.publish(change(3));
    broadcaster.publish(change(5));
    broadcaster.publish(change(6));
    calls[0]!.fail(new Error("database is locked"));
    await settle();
    // Clients on 3 resync on a patch from 4; nothing waits forever.
    expect(heard).toEqual(["production@3", "production@5", "production@6"]);
    expect(errors).toEqual([new Error("database is locked")]);
    expect(broadcaster.idle).toBe(true);
  });

  it("passes the change anyway when the log no longer holds the missing versions", async () => {
    const { source, calls } = heldSource();
    const { broadcaster, heard, errors } = sequenced(source);
    broadcaster.publish(change(3));
    broadcaster.publish(change(5));
    calls[0]!.answer(null);
    await settle();
    expect(heard).toEqual(["production@3", "production@5"]);
    expect(errors).toEqual([]);
    expect(broadcaster.idle).toBe(true);
  });

  it("keeps holding behind a second gap found after a read, with one read at a time", async () => {
    const { source, calls } = heldSource();
    const { broadcaster, heard } = sequenced(source);
    broadcaster.publish(change(3));
    broadcaster.publish(change(5)); // read since 3
    broadcaster.publish(change(7)); // held: 6 is missing too
    broadcaster.publish(change(8)); // held
    calls[0]!.answer([change(4), change(5)]); // 6 was not committed when the read ran
    await settle();
    expect(heard).toEqual(["production@3", "production@4", "production@5"]);
    // 7 waits for a read since 5, and 8 waits behind it rather than starting reads of its own.
    expect(calls.map((c) => c.since)).toEqual([3, 5]);
    expect(broadcaster.idle).toBe(false);

    calls[1]!.answer(null); // and 6 is gone from the log
    await settle();
    expect(heard).toEqual(["production@3", "production@4", "production@5", "production@7", "production@8"]);
    expect(calls).toHaveLength(2);
    expect(broadcaster.idle).toBe(true);
  });
});

describe("the first change of an environment, with a start version", () => {
  function started(start: (env: string) => Promise<number>) {
    const { source, calls } = heldSource();
    const errors: unknown[] = [];
    const out = recorder();
    const asked: string[] = [];
    const broadcaster = new SequencedBroadcaster(source, (error) => errors.push(error), {
      startVersion: (_tenantId, env) => {
        asked.push(env);
        return start(env);
      },
    });
    broadcaster.target = out;
    return { broadcaster, heard: out.heard, errors, calls, asked };
  }

  it("passes a new environment's first version at once", () => {
    const { broadcaster, heard, asked } = started(async () => 0);
    broadcaster.publish(change(1));
    expect(heard).toEqual(["production@1"]);
    expect(asked).toEqual([]);
  });

  it("passes a change that follows the start version after one read of it", async () => {
    const { broadcaster, heard, calls, asked } = started(async () => 4);
    broadcaster.publish(change(5));
    broadcaster.publish(change(6)); // waits behind it
    expect(heard).toEqual([]);
    expect(broadcaster.idle).toBe(false);
    await settle();
    expect(heard).toEqual(["production@5", "production@6"]);
    expect(asked).toEqual(["production"]);
    expect(calls).toEqual([]);
    broadcaster.publish(change(7));
    expect(heard.at(-1)).toBe("production@7"); // known now: no read
    expect(asked).toHaveLength(1);
  });

  it("fills the versions committed since the start before a change that overtook them", async () => {
    const { broadcaster, heard, calls } = started(async () => 2);
    broadcaster.publish(change(4)); // this process's commit; 3 was made elsewhere, not read yet
    await settle();
    expect(calls.map((c) => c.since)).toEqual([2]);
    broadcaster.publish(change(3)); // the feed brings 3 meanwhile: it waits
    calls[0]!.answer([change(3), change(4)]);
    await settle();
    expect(heard).toEqual(["production@3", "production@4"]);
    expect(broadcaster.idle).toBe(true);
  });

  it("drops a change from before the start", async () => {
    const { broadcaster, heard } = started(async () => 9);
    broadcaster.publish(change(8));
    await settle();
    broadcaster.publish(change(10));
    expect(heard).toEqual(["production@10"]);
  });

  it("passes the change when the start version cannot be read, and reports why", async () => {
    const { broadcaster, heard, errors } = started(async () => {
      throw new Error("database is locked");
    });
    broadcaster.publish(change(5));
    await settle();
    expect(heard).toEqual(["production@5"]);
    expect(errors).toEqual([new Error("database is locked")]);
  });
});

async function waitIdle(broadcaster: SequencedBroadcaster): Promise<void> {
  for (let i = 0; i < 200 && !broadcaster.idle; i++) await new Promise((resolve) => setTimeout(resolve, 5));
}
