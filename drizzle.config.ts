import { defineConfig } from "drizzle-kit";

// One SQLite schema for both hosts: plain `sqlite` dialect, so the generated SQL
// also runs on Durable Object SQLite. `npm run db:generate` after a schema change.
export default defineConfig({
  dialect: "sqlite",
  // The Node host's cluster tables live beside it (Node only; see src/worker/migrations.ts).
  schema: ["./src/core/db/schema.ts", "./src/node/cluster/cluster-schema.ts"],
  out: "./migrations",
});
