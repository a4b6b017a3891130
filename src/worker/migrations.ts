/**
 * The migrations bundled into the Durable Object. drizzle's durable-sqlite
 * migrator takes the journal and each migration's SQL as strings; wrangler
 * bundles `.sql` imports as text through the `[[rules]]` in wrangler.toml.
 *
 * A new migration from `npm run db:generate` is added here by hand, or named in
 * `NODE_ONLY_MIGRATIONS`; test/worker/bundled-migrations.test.ts fails while one
 * is neither, and so would the object: the migrator throws "Missing migration"
 * and every request answers 503.
 */
import journal from "../../migrations/meta/_journal.json";
import m0000 from "../../migrations/0000_init.sql";
import m0002 from "../../migrations/0002_attributes.sql";
import m0003 from "../../migrations/0003_audit_checkpoints.sql";
import m0004 from "../../migrations/0004_signing_keys.sql";
import m0005 from "../../migrations/0005_directives.sql";
import m0006 from "../../migrations/0006_schedule_webhooks.sql";
import m0007 from "../../migrations/0007_change_log_audit_seq.sql";
import m0008 from "../../migrations/0008_console_sessions.sql";

/**
 * Migrations of the Node host's own tables (the cluster's `stream_*`,
 * src/node/cluster/cluster-schema.ts), which an object never applies: it is the
 * only process on its database. Leaving one out is safe for an object that
 * already applied it (the migrator only runs what is newer than its last
 * record), and a new object never creates those tables.
 */
export const NODE_ONLY_MIGRATIONS: readonly string[] = ["0001_cluster", "0009_cluster_first_version"];

export default {
  journal: { ...journal, entries: journal.entries.filter((entry) => !NODE_ONLY_MIGRATIONS.includes(entry.tag)) },
  migrations: { m0000, m0002, m0003, m0004, m0005, m0006, m0007, m0008 },
};
