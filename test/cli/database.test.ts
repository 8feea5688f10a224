import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { BINARY, cleanEnv, listTree, runSyncer, tempDir, writeConfig } from "../helpers/binary.ts";
import { DEMO_CSV } from "../helpers/plugins.ts";

/**
 * The CLI and the daemon open the same database for the same config file, and only `serve`, `migrate` and
 * commands that run plugins create one: any other command finding none names where it looked and how to
 * create it, instead of answering from (or writing into) a new empty database that the daemon never sees.
 */

const DEMO = `[accounts.demo]
plugin = "csv"
[accounts.demo.custom_fields]
path = ${JSON.stringify(DEMO_CSV)}
hostname_column = "host"
[jobs.nightly]
schedule = "0 3 * * *"
steps = ["csv import_hosts demo"]
`;

function world() {
  const dir = tempDir("syncer-database-");
  const config = writeConfig(dir, DEMO);
  const cli = (...args: string[]) => runSyncer([...args, "--config", config]);
  return { dir, config, cli, database: join(dir, "data", "syncer.db") };
}

describe("commands that only read or administer refuse to create a database", () => {
  const READERS = [
    ["token", "create", "--name", "ops", "--scope", "admin"],
    ["token", "list"],
    ["token", "revoke", "ops"],
    ["hosts", "list"],
    ["hosts", "show", "web01"],
    ["runs", "list"],
    ["runs", "show", "1"],
    ["jobs", "list"],
    ["jobs", "history", "nightly"],
    ["ansible", "inventory", "--list"],
  ];

  test("each exits 1 naming the path it looked at and how to create it, and creates nothing", () => {
    const { dir, database, cli, config } = world();
    for (const args of READERS) {
      const result = cli(...args);
      expect({ args, code: result.code }).toEqual({ args, code: 1 });
      expect(result.stderr).toContain(`no database at ${database} (from ${config}): run \`syncer migrate\` (or start \`syncer serve\`) to create it, or pass --config for the config the daemon uses`);
      expect(listTree(dir)).toEqual(["sync.config.toml"]);
    }
  });

  test("migrate --status looks without creating; migrate creates it, and then they work", () => {
    const { dir, database, cli } = world();
    const status = cli("migrate", "--status", "--json");
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ database, exists: false, applied: [] });
    expect(JSON.parse(status.stdout).pending.length).toBeGreaterThan(0);
    expect(cli("migrate", "--status").stdout).toContain(`${database}: no database yet`);
    expect(listTree(dir)).toEqual(["sync.config.toml"]);

    expect(cli("migrate").code).toBe(0);
    expect(cli("token", "create", "--name", "ops", "--scope", "admin").code).toBe(0);
    expect(cli("token", "list").stdout).toContain("ops");
  });

  test("a sync run and a job run create the database; the commands that read it then find it", () => {
    const imported = world();
    expect(imported.cli("csv", "import_hosts", "demo").code).toBe(0);
    expect(imported.cli("hosts", "list").stdout).toContain("app01.berlin.example.com");
    const job = world();
    expect(job.cli("jobs", "run", "nightly").code).toBe(0);
    expect(job.cli("runs", "list").code).toBe(0);
  });
});

/** Runs a shell script in a private mount namespace, where /etc and /var/lib are empty tmpfs: nothing on the machine is touched. */
function inPrivateRoot(script: string): { code: number; output: string } {
  const result = Bun.spawnSync(["unshare", "--user", "--map-root-user", "--mount", "sh", "-euc", `mount -t tmpfs none /etc; mount -t tmpfs none /var/lib; ${script}`], {
    env: cleanEnv({ SYNCER: BINARY }),
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: result.exitCode ?? -1, output: result.stdout.toString() + result.stderr.toString() };
}

const CAN_UNSHARE = Bun.which("unshare") !== null && inPrivateRoot("true").code === 0;
if (!CAN_UNSHARE) console.warn("skipping the /etc/syncer test: this machine allows no unprivileged mount namespace (`unshare --user --map-root-user --mount`)");

describe("a config under /etc uses the systemd unit's state directory, with or without systemd", () => {
  test.if(CAN_UNSHARE)("the service (with $STATE_DIRECTORY) and a shell (without) share /var/lib/syncer/syncer.db; nothing goes to /etc/syncer/data", () => {
    const { code, output } = inPrivateRoot(`
      mkdir /etc/syncer
      printf '[server]\\nlisten = "127.0.0.1:0"\\n' > /etc/syncer/sync.config.toml
      STATE_DIRECTORY=/var/lib/syncer "$SYNCER" migrate --config /etc/syncer/sync.config.toml >/dev/null
      "$SYNCER" token create --name from-shell --scope admin --config /etc/syncer/sync.config.toml >/dev/null
      STATE_DIRECTORY=/var/lib/syncer "$SYNCER" token list --json --config /etc/syncer/sync.config.toml
      echo "etc: $(ls /etc/syncer)"
      echo "state: $(ls /var/lib/syncer)"
    `);
    expect(output).toContain('"name": "from-shell"');
    expect(output).toContain("etc: sync.config.toml\n");
    expect(output).toMatch(/^state: .*syncer\.db/m);
    expect(code).toBe(0);
  });
});
