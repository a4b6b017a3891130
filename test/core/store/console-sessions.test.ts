/**
 * Console sessions on a real libsql file: opened for a key, found by the
 * cookie's value only, marked seen at most once a minute, over after 12 h idle
 * or when signed out, and gone with their key's revocation.
 */
import { afterEach, expect, it } from "vitest";
import { consoleSessions } from "../../../src/core/db/schema.js";
import { SESSION_IDLE_MS, parseSessionId } from "../../../src/core/store/console-sessions.js";
import { openTempStore, type TempStore } from "../../support/temp-db.js";

let t: TempStore;
afterEach(() => t?.close());

let now = 1_000_000_000_000;
const clock = () => now;

async function tenantWithKey() {
  t = await openTempStore({ clock });
  const { tenant, adminKey } = await t.store.createTenant({ name: "acme" });
  const key = (await t.store.authenticate(adminKey))!;
  return { tenantId: tenant.id, key };
}

it("opens a session that the cookie's value finds, and nothing else does", async () => {
  const { tenantId, key } = await tenantWithKey();
  const session = await t.store.createSession(key);
  expect(session.id).toMatch(new RegExp(`^${tenantId}\\.[A-Za-z0-9_-]{43}$`));
  expect(await t.store.findSession(session.id)).toMatchObject({ key: { keyId: key.keyId, role: "admin", name: "admin" }, csrfToken: session.csrfToken });
  const other = `${tenantId}.${"A".repeat(43)}`;
  expect(await t.store.findSession(other)).toBeNull();
  expect(await t.store.findSession("not a session")).toBeNull();
  expect(await t.store.findSession(`zzzzzzzzzz.${session.id.split(".")[1]}`)).toBeNull();
});

it("keeps only a digest of the session's secret in the database", async () => {
  const { key } = await tenantWithKey();
  const session = await t.store.createSession(key);
  const rows = await t.writeDb.select().from(consoleSessions);
  expect(JSON.stringify(rows)).not.toContain(parseSessionId(session.id)!.secret);
  expect(rows).toEqual([expect.objectContaining({ keyId: key.keyId, idHash: expect.stringMatching(/^[0-9a-f]{64}$/) })]);
});

it("ends a session idle for 12 hours, and keeps one used within them", async () => {
  const { key } = await tenantWithKey();
  const session = await t.store.createSession(key);
  now += SESSION_IDLE_MS - 60_000;
  expect(await t.store.findSession(session.id)).not.toBeNull(); // seen now: the idle time starts again
  now += SESSION_IDLE_MS - 1;
  expect(await t.store.findSession(session.id)).not.toBeNull();
  now += SESSION_IDLE_MS + 1;
  expect(await t.store.findSession(session.id)).toBeNull();
  expect(await t.writeDb.select().from(consoleSessions)).toEqual([]);
});

it("ends a session when it is signed out", async () => {
  const { key } = await tenantWithKey();
  const session = await t.store.createSession(key);
  await t.store.deleteSession(session.id);
  expect(await t.store.findSession(session.id)).toBeNull();
});

it("ends every session of a key when the key is revoked", async () => {
  const { tenantId, key } = await tenantWithKey();
  const created = await t.store.createKey(tenantId, { keyId: key.keyId, name: "admin", role: "admin" }, { name: "ops", role: "operator" });
  const ops = (await t.store.authenticate(created.secret))!;
  const [a, b, mine] = await Promise.all([t.store.createSession(ops), t.store.createSession(ops), t.store.createSession(key)]);
  await t.store.revokeKey(tenantId, { keyId: key.keyId, name: "admin", role: "admin" }, ops.keyId, { reason: "left" });
  expect(await t.store.findSession(a.id)).toBeNull();
  expect(await t.store.findSession(b.id)).toBeNull();
  expect(await t.store.findSession(mine.id)).not.toBeNull();
});
