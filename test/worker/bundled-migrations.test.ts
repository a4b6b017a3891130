/**
 * The Durable Object bundles its migrations through static imports: either
 * drizzle-kit's migrations/migrations.js (written when drizzle.config.ts has
 * `driver: "durable-sqlite"`) or the list in src/worker/migrations.ts. A
 * migration missing there makes every object answer 503; checked here
 * without workerd.
 */
import { readFile } from "node:fs/promises";
import { expect, it } from "vitest";

const journalUrl = new URL("../../migrations/meta/_journal.json", import.meta.url);
const workerListUrl = new URL("../../src/worker/migrations.ts", import.meta.url);
const drizzleKitListUrl = new URL("../../migrations/migrations.js", import.meta.url);

it("imports every migration of the journal into the Worker bundle", async () => {
  const journal = JSON.parse(await readFile(journalUrl, "utf8")) as { entries: { idx: number; tag: string }[] };
  const workerList = await readFile(workerListUrl, "utf8");
  // A re-export statement, not the TODO comment that describes it.
  const reexports = /^export \{ default \} from "\.\.\/\.\.\/migrations\/migrations\.js";/m.test(workerList);
  const list = reexports ? await readFile(drizzleKitListUrl, "utf8") : workerList;
  const dir = reexports ? "./" : "../../migrations/";
  expect(journal.entries.length).toBeGreaterThan(0);
  for (const { idx, tag } of journal.entries) {
    const name = `m${String(idx).padStart(4, "0")}`;
    const file = reexports ? "migrations/migrations.js" : "src/worker/migrations.ts";
    expect(list.replaceAll("'", '"'), `${file} must import migrations/${tag}.sql as ${name}`).toContain(
      `import ${name} from "${dir}${tag}.sql"`,
    );
  }
});
