import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/core/logger.ts";
import { openSqliteStorage, type SqliteStorage } from "../../src/db/sqlite/storage.ts";
import { parseHostKeyed } from "../../src/plugins/host-keyed.ts";
import { PluginRuntime } from "../../src/plugins/runtime.ts";
import { bindSetup } from "../../src/plugins/setup.ts";
import { uncacheable } from "../../src/runs/answer-cache.ts";
import { renderInventory } from "../../src/runs/inventory.ts";
import { runSyncer, tempDir, writeConfig } from "../helpers/binary.ts";
import { buildFixturePlugins, FIXTURE_PLUGINS, SANDBOX_COMMANDS } from "../helpers/plugins.ts";
import { COMPILE_TIMEOUT_MS } from "../helpers/timeouts.ts";

/**
 * An inventory's page answers are kept by what they are computed from (src/runs/answer-cache.ts): a page
 * takes a kept answer instead of running the rules and calling the plugin only when its hosts, the rules,
 * the plugin, its options and Syncer's build are the same. The document is always the one the plugin
 * would give; what changes is how many calls it takes. Hosts come in through the binary (the syncfix
 * fixture's import), the inventory is rendered in this process to count the plugin's calls.
 */

type Json = Record<string, any>;

const BASE = `[server]\ndata_dir = "data"\n[plugins]\ndirectories = [${JSON.stringify(FIXTURE_PLUGINS)}]\n[inventory]\npage_size = 2\n[accounts.a]\nplugin = "syncfix"\ndelete_missing = true\ndelete_limit = "100%"\n[accounts.a.custom_fields]\npath = "a.pages"\n`;

const host = (hostname: string, site: string, role = "web") => ({ hostname, labels: { site, role }, inventory: { ram_gb: 8 } });
const HOSTS = [host("web01", "berlin"), host("web02", "berlin"), host("web03", "hamburg"), host("db01", "hamburg", "db"), host("db02", "paris", "db")];

interface World {
  dir: string;
  /** Writes the config (BASE and `extra`) and imports `hosts` through the binary. */
  configure(extra: string): void;
  importHosts(hosts: Json[]): void;
  /** Renders the ansible inventory in this process: the document and how many calls the plugin got. */
  render(): Promise<{ document: Json; calls: number; warnings: string[] }>;
  /** `syncer ansible inventory --list` through the binary. */
  inventoryCli(): { code: number; stdout: string; stderr: string };
  /** The kept answers' files: key and when each was written. */
  kept(): { key: string; written: number }[];
}

function world(): World {
  const dir = tempDir("syncer-answers-");
  let configPath = writeConfig(dir, BASE);
  let storage: SqliteStorage | undefined;
  const open = () => (storage ??= openSqliteStorage(join(dir, "data", "syncer.db")));
  return {
    dir,
    configure(extra) {
      configPath = writeConfig(dir, BASE + extra);
    },
    importHosts(hosts) {
      writeFileSync(join(dir, "a.pages"), `${JSON.stringify(hosts)}\n`);
      const run = runSyncer(["syncfix", "import_hosts", "a", "--config", configPath]);
      if (run.code !== 0) throw new Error(`import failed (${run.code}): ${run.stdout}\n${run.stderr}`);
    },
    async render() {
      const config = parseConfig(readFileSync(configPath, "utf8"), configPath, {});
      const setup = bindSetup(config, {});
      const runtime = new PluginRuntime(config, setup.registry, createLogger({ level: "error", format: "text", write: () => {} }), open(), SANDBOX_COMMANDS.source);
      let calls = 0;
      runtime.onCall = () => calls++;
      try {
        const rendered = await renderInventory(setup, runtime, open(), { plugin: setup.registry.plugins.get("ansible")! });
        try {
          return { document: parseHostKeyed(rendered.value) as Json, calls, warnings: rendered.warnings };
        } finally {
          rendered.close();
        }
      } finally {
        runtime.close();
      }
    },
    inventoryCli: () => runSyncer(["ansible", "inventory", "--list", "--config", configPath]),
    kept: () => {
      const root = join(dir, "data", "answers");
      if (!existsSync(root)) return [];
      return readdirSync(root)
        .flatMap((scope) => readdirSync(join(root, scope)).map((key) => ({ key, written: statSync(join(root, scope, key)).mtimeMs })))
        .sort((a, b) => a.key.localeCompare(b.key));
    },
  };
}

beforeAll(() => buildFixturePlugins(), COMPILE_TIMEOUT_MS);

describe("an inventory's kept page answers", () => {
  const w = world();
  beforeAll(() => {
    w.configure(`[plugins.ansible]\ngroup_by = ["site"]\n`);
    w.importHosts(HOSTS);
  }, COMPILE_TIMEOUT_MS);

  let first: { document: Json; calls: number; warnings: string[] };
  test("the first render calls the plugin for every page and keeps each answer", async () => {
    first = await w.render();
    expect(first.calls).toBe(3);
    expect(first.document.site_berlin.hosts.sort()).toEqual(["web01", "web02"]);
    expect(first.document._meta.hostvars.db02).toEqual({ site: "paris", role: "db", a__ram_gb: 8 });
    expect(w.kept()).toHaveLength(3);
  });

  test("an unchanged inventory is the same document with no plugin call, and writes nothing", async () => {
    const before = w.kept();
    const again = await w.render();
    expect(again.calls).toBe(0);
    expect(again.document).toEqual(first.document);
    expect(w.kept()).toEqual(before);
  });

  test("a changed host calls the plugin for its page only; the page's old answer goes", async () => {
    const before = w.kept();
    w.importHosts(HOSTS.map((entry) => (entry.hostname === "web03" ? host("web03", "paris") : entry)));
    const changed = await w.render();
    expect(changed.calls).toBe(1);
    expect(changed.document.site_paris.hosts.sort()).toEqual(["db02", "web03"]);
    expect(changed.document.site_hamburg.hosts).toEqual(["db01"]);
    const after = w.kept();
    expect(after).toHaveLength(3);
    expect(after.filter((row) => before.some((old) => old.key === row.key))).toHaveLength(2);
  });

  test("a host that goes shifts the pages after it: they are computed again, and only the answers of this render stay", async () => {
    w.importHosts(HOSTS.filter((entry) => entry.hostname !== "db01"));
    const shrunk = await w.render();
    expect(shrunk.calls).toBeGreaterThan(0);
    expect(Object.keys(shrunk.document._meta.hostvars).sort()).toEqual(["db02", "web01", "web02", "web03"]);
    // Four hosts in pages of two: the third page is empty, and answered too.
    expect(w.kept()).toHaveLength(3);
  });

  test("a changed option, rule or [targets] setting gives every page another key: the document follows at once", async () => {
    w.configure(`[plugins.ansible]\ngroup_by = ["role"]\n`);
    const regrouped = await w.render();
    expect(regrouped.calls).toBe(3);
    expect(regrouped.document.role_web.hosts.sort()).toEqual(["web01", "web02", "web03"]);
    expect(regrouped.document.site_berlin).toBeUndefined();

    w.configure(`[plugins.ansible]\ngroup_by = ["role"]\n[[rules]]\nname = "tier"\ntarget = "ansible"\nmatch = "anyway"\n[rules.set]\ntier = "{{ labels.site | upcase }}"\n`);
    const ruled = await w.render();
    expect(ruled.calls).toBe(3);
    expect(ruled.document._meta.hostvars.web01.tier).toBe("BERLIN");

    w.configure(`[plugins.ansible]\ngroup_by = ["role"]\n[[rules]]\nname = "tier"\ntarget = "ansible"\nmatch = "anyway"\n[rules.set]\ntier = "{{ labels.site | upcase }}"\n[targets.ansible]\nfilter = ["site", "tier"]\n`);
    const filtered = await w.render();
    expect(filtered.calls).toBe(3);
    expect(filtered.document._meta.hostvars.web01).toEqual({ site: "berlin", tier: "BERLIN" });
    expect((await w.render()).calls).toBe(0);
  });

  test("rules whose template reads the clock are never kept: every render calls the plugin", async () => {
    w.configure(`[plugins.ansible]\ngroup_by = ["role"]\n[[rules]]\nname = "stamp"\ntarget = "ansible"\nmatch = "anyway"\n[rules.set]\nyear = "{{ 'now' | date: '%Y' }}"\n`);
    const year = String(new Date().getFullYear());
    for (let render = 0; render < 2; render++) {
      const stamped = await w.render();
      expect(stamped.calls).toBe(3);
      expect(stamped.document._meta.hostvars.web01.year).toBe(year);
    }
  });

});

describe("answers that cannot be kept", () => {
  test("the inventory is whole, and the command says on stderr why the next one computes again", async () => {
    const w = world();
    w.configure(`[plugins.ansible]\ngroup_by = ["site"]\n`);
    w.importHosts(HOSTS);
    // Where the answers' folder would be, a file: nothing can be kept.
    writeFileSync(join(w.dir, "data", "answers"), "not a folder");
    const rendered = await w.render();
    expect(rendered.calls).toBe(3);
    expect(rendered.warnings).toEqual([expect.stringContaining("computed again next time")]);
    expect(Object.keys(rendered.document._meta.hostvars).sort()).toEqual(HOSTS.map((entry) => entry.hostname).sort());
    const cli = w.inventoryCli();
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toEqual(rendered.document);
    expect(cli.stderr).toContain("warning: the inventory's answers are computed again next time: cannot keep an inventory page's answer in");
  });
});

describe("what keeps a target's answers from being kept", () => {
  const reasonFor = (extra: string, env: Record<string, string> = {}) => {
    const dir = tempDir("syncer-answers-");
    const path = writeConfig(dir, `[server]\ndata_dir = "data"\n[plugins]\ndirectories = [${JSON.stringify(FIXTURE_PLUGINS)}]\n${extra}`);
    const setup = bindSetup(parseConfig(readFileSync(path, "utf8"), path, env), env);
    const plugin = setup.registry.plugins.get("ansible")!;
    return uncacheable(setup, plugin, "inventory", undefined, setup.rules.forTarget("ansible"));
  };

  test("a plain target's answers are kept", () => {
    expect(reasonFor(`[[rules]]\nname = "r"\ntarget = "ansible"\nmatch = "anyway"\n[rules.set]\nx = "{{ labels.site }}"\n`)).toBeUndefined();
  });

  test("a plugin's filter or test in the rules: its plugin may answer differently", () => {
    expect(reasonFor(`[[rules]]\nname = "r"\ntarget = "ansible"\nmatch = "anyway"\n[rules.set]\nx = "{{ labels.site | rulefix_slug }}"\n`)).toBe("the rules use plugins' filters or tests");
  });

  test("Liquid's date filters, in a rule or a rewrite: the clock moves", () => {
    expect(reasonFor(`[[rules]]\nname = "r"\ntarget = "*"\nmatch = "anyway"\n[rules.set]\nx = "{{ 'today' | date: '%F' }}"\n`)).toBe("a template reads the clock or chance (a date filter, sample)");
    expect(reasonFor(`[targets.ansible]\nrewrite = [{ attribute = "site", value = "{{ value | date_to_xmlschema }}" }]\n`)).toBe("a template reads the clock or chance (a date filter, sample)");
  });
});
