import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { runSyncer, tempDir } from "../helpers/binary.ts";

/**
 * Commands that only describe what the binary carries work before any config exists: `plugins list` and
 * `plugins info` show the built-in plugins, with a note on stderr that no config file was found.
 */

// A machine with a system-wide config finds it, as it should: then there is nothing to show here.
const NO_SYSTEM_CONFIG = !existsSync("/etc/syncer/sync.config.toml");
/** The first-party plugins the binary embeds: every folder of plugins/ with a manifest. */
const PLUGINS = resolve(import.meta.dir, "..", "..", "plugins");
const BUILTIN_IDENTS = readdirSync(PLUGINS).filter((name) => existsSync(join(PLUGINS, name, "plugin.json")));
const NOTE = "note: no config file found (./sync.config.toml, /etc/syncer/sync.config.toml; --config or $SYNCER_CONFIG name another): the built-in plugins only\n";

describe.if(NO_SYSTEM_CONFIG)("plugins list and info without a config file", () => {
  test("plugins list shows the built-in plugins, as text and as JSON, with the note on stderr", () => {
    const cwd = tempDir();
    const text = runSyncer(["plugins", "list"], { cwd });
    expect(text.code).toBe(0);
    expect(text.stderr).toBe(NOTE);
    for (const ident of BUILTIN_IDENTS) expect(text.stdout).toMatch(new RegExp(`^${ident}\\s+\\S+\\s+enabled\\s+builtin`, "m"));
    const json = runSyncer(["plugins", "list", "--json"], { cwd });
    expect(json.code).toBe(0);
    expect(json.stderr).toBe(NOTE);
    expect(JSON.parse(json.stdout).plugins.map((plugin: { ident: string }) => plugin.ident).sort()).toEqual([...BUILTIN_IDENTS].sort());
  });

  test("plugins info describes a built-in plugin; an unknown one is still a usage error", () => {
    const cwd = tempDir();
    const info = runSyncer(["plugins", "info", "csv"], { cwd });
    expect(info.code).toBe(0);
    expect(info.stderr).toBe(NOTE);
    expect(info.stdout).toContain("hostname_column");
    const unknown = runSyncer(["plugins", "info", "nope"], { cwd });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no plugin 'nope'");
  });

  test("a config that is named but missing is still an error, not the built-in plugins", () => {
    const cwd = tempDir();
    const result = runSyncer(["plugins", "list", "--config", "missing.toml"], { cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("cannot read config file");
    expect(runSyncer(["plugins", "list"], { cwd, env: { SYNCER_CONFIG: "missing.toml" } }).code).toBe(1);
  });
});
