import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { runSyncer, startDaemon, tempDir, writeConfig, type RunningDaemon } from "../helpers/binary.ts";
import { buildFixturePlugins, FIXTURE_PLUGINS } from "../helpers/plugins.ts";

/**
 * Secrets a plugin puts into what it produces (the leaky fixture logs its account's password, emits it
 * in an event and fails with it) are redacted before anything is stored: the run log, the job-run log
 * and the events table hold `<redacted>`, and so does everything that reads them (CLI and API).
 */

const SECRET = "leaky-password-93c1e7";

let dir: string;
let config: string;
let daemon: RunningDaemon | undefined;
const env = { LEAKY_PASSWORD: SECRET };
const cli = (...args: string[]) => runSyncer([...args, "--config", config], { env });

/** Every text column of the tables a run writes, as one string. */
function storedText(): string {
  const db = new Database(join(dir, "data", "syncer.db"), { readonly: true });
  try {
    const rows = [
      ...db.query("SELECT details, error_message FROM runs").all(),
      ...db.query("SELECT steps, error_message FROM job_runs").all(),
      ...db.query("SELECT type, data FROM events").all(),
    ];
    return JSON.stringify(rows);
  } finally {
    db.close();
  }
}

beforeAll(() => {
  buildFixturePlugins();
  dir = tempDir("syncer-redaction-");
  config = writeConfig(
    dir,
    `[server]
data_dir = "data"
listen = "127.0.0.1:0"
[plugins]
directories = [${JSON.stringify(FIXTURE_PLUGINS)}]
[accounts.acct]
plugin = "leaky"
password = "\${env:LEAKY_PASSWORD}"
[jobs.leak]
schedule = "0 3 * * *"
steps = ["leaky leak acct"]
`,
  );
  expect(cli("migrate").code).toBe(0);
});

afterAll(async () => {
  await daemon?.stop();
});

describe("secrets a plugin produced are redacted before they are stored", () => {
  test("an action and an import that log and fail with the password: the CLI, the run log and the events show <redacted>", () => {
    for (const command of ["leak", "import_hosts"]) {
      const result = cli("leaky", command, "acct");
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("logging in with <redacted>");
      expect(result.stderr).toContain("password <redacted> was rejected");
      expect(result.stdout + result.stderr).not.toContain(SECRET);
    }
    const stored = storedText();
    expect(stored).not.toContain(SECRET);
    expect(stored).toContain("logging in with <redacted>");
    expect(stored).toContain("password <redacted> was rejected");
    expect(stored).toContain(`{\\"password\\":\\"<redacted>\\"}`);
  });

  test("a job whose step fails with the password: the job run's error and its step hold <redacted>", () => {
    const result = cli("jobs", "run", "leak", "--json");
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).not.toContain(SECRET);
    const db = new Database(join(dir, "data", "syncer.db"), { readonly: true });
    try {
      const row = db.query("SELECT steps, error_message FROM job_runs ORDER BY id DESC LIMIT 1").get() as { steps: string; error_message: string };
      expect(row.error_message).toContain("password <redacted> was rejected");
      expect(row.steps).toContain("password <redacted> was rejected");
    } finally {
      db.close();
    }
    expect(storedText()).not.toContain(SECRET);
  });

  test("runs show --json and runs list --json answer the redacted texts", () => {
    const list = cli("runs", "list", "--json");
    expect(list.code).toBe(0);
    expect(list.stdout).not.toContain(SECRET);
    const show = cli("runs", "show", "1", "--json");
    expect(show.code).toBe(0);
    const run = JSON.parse(show.stdout);
    expect(run.error.message).toBe("leaky leak: password <redacted> was rejected");
    expect(run.details.map((detail: { message: string }) => detail.message)).toEqual(["logging in with <redacted>", "still <redacted>"]);
  });

  test("GET /api/v1/runs, /api/v1/runs/{id} and the job's history answer <redacted>, never the secret", async () => {
    const created = cli("token", "create", "--name", "reader", "--scope", "runs:read", "--json");
    expect(created.code).toBe(0);
    const token = JSON.parse(created.stdout).token;
    daemon = await startDaemon(["--config", config], { env });
    const get = async (path: string) => {
      const response = await fetch(`${daemon!.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      return response.text();
    };
    const list = await get("/api/v1/runs");
    expect(JSON.parse(list).runs.length).toBeGreaterThanOrEqual(3);
    const one = await get("/api/v1/runs/1");
    const history = await get("/api/v1/jobs/leak/runs");
    for (const body of [list, one, history]) {
      expect(body).not.toContain(SECRET);
      expect(body).toContain("password <redacted> was rejected");
    }
    expect(JSON.parse(one).details[0].message).toBe("logging in with <redacted>");
  });
});
