/**
 * The migrations bundled into the Durable Object. drizzle's durable-sqlite
 * migrator takes the journal and each migration's SQL as strings; wrangler
 * bundles `.sql` imports as text through the `[[rules]]` in wrangler.toml.
 *
 * A new migration from `npm run db:generate` is added here by hand;
 * test/worker/bundled-migrations.test.ts fails while one is missing, and so would
 * the object: the migrator throws "Missing migration" and every request answers 503.
 */
import journal from "../../migrations/meta/_journal.json";
import m0000 from "../../migrations/0000_init.sql";
import m0001 from "../../migrations/0001_cluster.sql";
import m0002 from "../../migrations/0002_attributes.sql";
import m0003 from "../../migrations/0003_audit_checkpoints.sql";
import m0004 from "../../migrations/0004_signing_keys.sql";
import m0005 from "../../migrations/0005_directives.sql";
import m0006 from "../../migrations/0006_schedule_webhooks.sql";
import m0007 from "../../migrations/0007_change_log_audit_seq.sql";
import m0008 from "../../migrations/0008_console_sessions.sql";

export default { journal, migrations: { m0000, m0001, m0002, m0003, m0004, m0005, m0006, m0007, m0008 } };
