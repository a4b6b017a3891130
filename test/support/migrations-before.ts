import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";

const MIGRATIONS = new URL("../../migrations/", import.meta.url);

/**
 * A copy of the migrations folder in `dir` that stops before `tag`: a database migrated
 * with it is one an older release left, for the tests of an upgrade.
 */
export function migrationsBefore(tag: string, dir: string): string {
  const folder = join(dir, "migrations");
  mkdirSync(join(folder, "meta"), { recursive: true });
  const journal = JSON.parse(readFileSync(new URL("meta/_journal.json", MIGRATIONS), "utf8")) as { entries: { tag: string }[] };
  const stop = journal.entries.findIndex((entry) => entry.tag === tag);
  expect(stop).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, stop);
  writeFileSync(join(folder, "meta", "_journal.json"), JSON.stringify(journal));
  for (const { tag: kept } of journal.entries) copyFileSync(new URL(`${kept}.sql`, MIGRATIONS), join(folder, `${kept}.sql`));
  return folder;
}
