import { Database } from "bun:sqlite";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runSyncer, startDaemon, tempDir, writeConfig, type RunningDaemon } from "../helpers/binary.ts";
import { buildFixturePlugins, FIXTURE_PLUGINS } from "../helpers/plugins.ts";

/**
 * A config with a csv account `demo` reading hosts.csv, the fixture plugins (unless `fixtures` is false: their
 * hooks and subscriptions stay out), and whatever `extra` adds
 * (subscriber modes, [[webhooks]], [events]); the compiled binary run against it.
 */
export function eventWorld(extra = "", env: Record<string, string> = {}, options: { fixtures?: boolean } = {}) {
  const fixtures = options.fixtures ?? true;
  if (fixtures) buildFixturePlugins();
  const dir = tempDir("syncer-events-");
  const text = (more: string) => `[server]
listen = "127.0.0.1:0"
[plugins]
directories = [${fixtures ? JSON.stringify(FIXTURE_PLUGINS) : ""}]
[sandbox]
timeout_seconds = 5
[accounts.demo]
plugin = "csv"
delete_missing = true
delete_limit = "100%"
[accounts.demo.custom_fields]
path = "hosts.csv"
${more}`;
  const config = writeConfig(dir, text(extra));
  const cli = (...args: string[]) => runSyncer([...args, "--config", config], { env });
  const json = (...args: string[]) => {
    const result = cli(...args, "--json");
    if (result.code !== 0) throw new Error(`syncer ${args.join(" ")} failed: ${result.stderr}${result.stdout}`);
    return JSON.parse(result.stdout);
  };
  const world = {
    dir,
    config,
    env,
    cli,
    json,
    /** Rewrites the config with another `extra`. */
    rewrite: (more: string) => writeConfig(dir, text(more)),
    hosts: (rows: string[], header = "host,site") => writeFileSync(join(dir, "hosts.csv"), `${header}\n${rows.join("\n")}\n`),
    /** A read-only look at the database. */
    sql<T>(query: string): T[] {
      const db = new Database(join(dir, "data", "syncer.db"), { readonly: true });
      try {
        return db.query(query).all() as T[];
      } finally {
        db.close();
      }
    },
    start: () => startDaemon(["--config", config], { env }),
  };
  expect(cli("migrate").code).toBe(0);
  return world;
}

export type EventWorld = ReturnType<typeof eventWorld>;

export { until };

/** The daemon's subscribers as the API answers them, by name. */
export async function subscribersOf(daemon: RunningDaemon, token: string): Promise<Record<string, any>> {
  const response = await fetch(`${daemon.url}/api/v1/events/subscribers`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await response.json()) as { subscribers: { name: string }[] };
  return Object.fromEntries(body.subscribers.map((row) => [row.name, row]));
}

/** The daemon started, with an admin token, once it has recorded `subscriber` (its cursor at the newest event). */
export async function startRecorded(w: EventWorld, subscriber: string) {
  const admin = w.json("token", "create", "--name", "ops", "--scope", "admin").token as string;
  const daemon = await w.start();
  try {
    await until(`${subscriber} to be recorded`, async () => (await subscribersOf(daemon, admin))[subscriber]);
  } catch (error) {
    await daemon.stop();
    throw error;
  }
  return { daemon, admin };
}

export async function metricsOf(daemon: RunningDaemon, token: string): Promise<string> {
  return (await fetch(`${daemon.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
}

import { expect } from "bun:test";
import { until } from "../helpers/until.ts";
