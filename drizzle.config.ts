import { defineConfig } from "drizzle-kit";

// One SQLite schema for both hosts: plain `sqlite` dialect, so the generated SQL
// also runs on Durable Object SQLite. `npm run db:generate` after a schema change.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/core/db/schema.ts",
  out: "./migrations",
});
