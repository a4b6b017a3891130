/**
 * The scheduler's counts, which become `killswitch_scheduled_changes_due`: on a
 * real libsql store with a clock of the test's, an entry waiting for its time
 * is pending but not due; one whose apply fails stays due (the gauge shows a
 * scheduler that is behind) and is tried again after a pause, never in a loop;
 * once applied, nothing is due.
 */
import { afterEach, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../../../src/core/actor.js";
import { backgroundObserver } from "../../../src/core/background.js";
import { Scheduler } from "../../../src/core/schedule/scheduler.js";
import type { Store } from "../../../src/core/store/index.js";
import { telemetryOf } from "../../../src/core/telemetry.js";
import { openTempStore, type TempStore } from "../../support/temp-db.js";

let t: TempStore;
afterEach(() => t?.close());

describe("Scheduler", () => {
  it("reports pending and due entries after each round; a failed apply stays due and is deferred", async () => {
    // `at` must be in the future of the real clock when it is scheduled.
    const t0 = Date.now();
    let now = t0;
    t = await openTempStore({ clock: () => now });
    const { tenant } = await t.store.createTenant({ name: "scheduled" });
    await t.store.createFlag(tenant.id, SYSTEM_ACTOR, { key: "model.a", kind: "boolean" });
    const at = new Date(t0 + 60_000).toISOString();
    await t.store.schedule.create(tenant.id, SYSTEM_ACTOR, "production", "model.a", { action: "kill", input: { reason: "later", at } });

    const due: number[] = [];
    const outcomes: string[] = [];
    const observer = {
      ...backgroundObserver(telemetryOf({ scheduledChangesDue: (count) => void due.push(count) })),
      scheduledChange: (outcome: string) => void outcomes.push(outcome),
    };
    const errors: unknown[] = [];
    let failing = true;
    const store: Store = {
      ...t.store,
      schedule: {
        ...t.store.schedule,
        apply: (tenantId, id) => (failing ? Promise.reject(new Error("disk on fire")) : t.store.schedule.apply(tenantId, id)),
      },
    };
    const scheduler = new Scheduler({ store, clock: () => now, observer, onError: (e) => errors.push(e) });

    expect(await scheduler.runDue()).toBe(t0 + 60_000);
    expect(due).toEqual([0]);

    now = t0 + 60_000;
    const retryAt = await scheduler.runDue();
    expect(outcomes).toEqual(["failed"]);
    expect(errors).toHaveLength(1);
    expect(due.at(-1)).toBe(1);
    // Tried again after a pause, not at once.
    expect(retryAt).toBeGreaterThan(now);

    failing = false;
    now = retryAt!;
    await scheduler.runDue();
    expect(outcomes).toEqual(["failed", "applied"]);
    expect(due.at(-1)).toBe(0);
    expect(await t.store.schedule.counts(now)).toEqual({ pending: 0, due: 0 });
    expect((await t.store.getFlagConfig(tenant.id, "production", "model.a")).enabled).toBe(false);
  });
});
