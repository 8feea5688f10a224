import { defineConfig } from "drizzle-kit";

// drizzle-kit only generates migration files here; the binary applies them itself (src/db/sqlite/migrate.ts).
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./src/db/migrations",
});
