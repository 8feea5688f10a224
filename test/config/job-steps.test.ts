import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { effectiveConfig } from "../../src/config/dump.ts";
import type { Setup } from "../../src/plugins/setup.ts";
import { configBinding } from "../helpers/config-binding.ts";
import { formatProblem, type Problem } from "../../src/core/problems.ts";

/**
 * Job steps are checked against the plugins when the config is bound to them (bindSetup). Manifests
 * only: nothing is called, so no module is needed.
 */
const root = mkdtempSync(join(tmpdir(), "syncer-job-steps-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const PLUGINS = join(root, "plugins");
const CONFIG = join(root, "sync.config.toml");

function addPlugin(ident: string, manifest: Record<string, unknown>): string {
  mkdirSync(join(PLUGINS, ident), { recursive: true });
  const path = join(PLUGINS, ident, "plugin.json");
  writeFileSync(path, JSON.stringify({ api_version: 1, ident, name: ident, version: "1.0.0", author: "Syncer tests", description: "A test plugin", ...manifest }, null, 2));
  return path;
}
const TOOL_MANIFEST = addPlugin("tool", {
  commands: {
    import_hosts: { kind: "import", description: "Imports", account: "required" },
    ping: { kind: "action", description: "Pings", account: "none" },
    probe: { kind: "action", description: "Probes", account: "optional" },
    wipe: { kind: "action", description: "Wipes everything", account: "optional", schedulable: false },
  },
});
addPlugin("other", { commands: { import_hosts: { kind: "import", description: "Imports" } } });
const DORMANT_MANIFEST = addPlugin("dormant", { enabled: false, commands: { import_hosts: { kind: "import", description: "Imports" } } });

const HEADER = `[plugins]\ndirectories = [${JSON.stringify(PLUGINS)}]\n[accounts.t1]\nplugin = "tool"\n[accounts.o1]\nplugin = "other"\n[accounts.d1]\nplugin = "dormant"\nenabled = false\n`;

const { bind, problemsOf, lineOf } = configBinding(HEADER, CONFIG);

const job = (steps: string[], extra = "") => `[jobs.nightly]\nschedule = "0 3 * * *"\n${extra}steps = [\n${steps.map((step) => `  ${JSON.stringify(step)},\n`).join("")}]\n`;

describe("job steps are checked against the plugins", () => {
  test("steps that fit bind: a required account, an optional one left out, a command that takes none", () => {
    const setup = bind(job(["tool import_hosts t1", "tool probe", "tool probe t1", "tool ping", "other import_hosts o1"]));
    expect(Object.keys(setup.config.jobs)).toEqual(["nightly"]);
  });

  test("an unknown plugin is an error at jobs.<name>.steps[i], with the file's line and a did-you-mean", () => {
    const body = job(["tool ping", "toll ping"]);
    const [problem, ...rest] = problemsOf(body);
    expect(rest).toEqual([]);
    expect(formatProblem(problem!)).toBe(`${CONFIG}:${lineOf(body, '"toll ping"')}:3: jobs.nightly.steps[1]: step "toll ping": no plugin 'toll'; did you mean 'tool'?`);
  });

  test("an unknown command is an error naming the plugin's commands", () => {
    const body = job(["tool import_host t1"]);
    const [problem] = problemsOf(body);
    expect(problem!.key).toBe("jobs.nightly.steps[0]");
    expect(problem!.position).toEqual({ line: lineOf(body, '"tool import_host t1"'), column: 3 });
    expect(problem!.message).toBe(`step "tool import_host t1": plugin tool has no command 'import_host'; did you mean 'import_hosts'? (commands: import_hosts, ping, probe, wipe)`);
  });

  test("a command that is not schedulable cannot be a step", () => {
    const [problem] = problemsOf(job(["tool wipe t1"]));
    expect(problem!.key).toBe("jobs.nightly.steps[0]");
    expect(problem!.message).toBe(`step "tool wipe t1": tool wipe cannot run in a job (schedulable = false in ${TOOL_MANIFEST}); run it by hand`);
  });

  test("a missing required account, and an account for a command that takes none, are errors", () => {
    const problems = problemsOf(job(["tool import_hosts", "tool ping t1"]));
    expect(problems.map((problem) => `${problem.key}: ${problem.message}`)).toEqual([
      'jobs.nightly.steps[0]: step "tool import_hosts": tool import_hosts needs an account (accounts of tool: t1)',
      'jobs.nightly.steps[1]: step "tool ping t1": tool ping takes no account',
    ]);
  });

  test("an account of another plugin is an error", () => {
    const [problem] = problemsOf(job(["tool import_hosts o1"]));
    expect(problem!.message).toBe('step "tool import_hosts o1": account o1 belongs to plugin other, not tool');
  });

  test("a disabled plugin or account is an error in an enabled job and accepted in a disabled one", () => {
    const [problem] = problemsOf(job(["dormant import_hosts d1"]));
    expect(problem!.message).toBe(`step "dormant import_hosts d1": plugin dormant is disabled (${DORMANT_MANIFEST}); disable the job too (enabled = false)`);
    expect(bind(job(["dormant import_hosts d1"], "enabled = false\n")).config.jobs.nightly!.enabled).toBe(false);
    const disabledAccount = '[accounts.t2]\nplugin = "tool"\nenabled = false\n';
    expect(problemsOf(disabledAccount + job(["tool import_hosts t2"]))[0]!.message).toBe('step "tool import_hosts t2": account t2 is disabled (enabled = false); disable the job too (enabled = false)');
    expect(() => bind(disabledAccount + job(["tool import_hosts t2"], "enabled = false\n"))).not.toThrow();
  });

  test("every step problem of every job is reported at once, with the other binding problems", () => {
    const body = `[accounts.x]\nplugin = "nope"\n${job(["tool nope", "tool ping t1"])}[jobs.other]\nschedule = "* * * * *"\nsteps = ["other import_hosts"]\n`;
    expect(problemsOf(body).map((problem) => problem.key)).toEqual(["accounts.x.plugin", "jobs.nightly.steps[0]", "jobs.nightly.steps[1]", "jobs.other.steps[0]"]);
  });

  test("a step naming an account whose plugin is missing is reported once, at the account", () => {
    const body = `[accounts.x]\nplugin = "nope"\n${job(["tool import_hosts x"])}`;
    expect(problemsOf(body).map((problem) => problem.key)).toEqual(["accounts.x.plugin"]);
  });
});

describe("webhook_secret and [scheduler]", () => {
  test("webhook_secret is a secret: resolved from a reference, redacted in the dump, warned about in clear text", () => {
    const setup = bind(job(["tool ping"], 'webhook_secret = "${env:HOOK_SECRET}"\n'), { HOOK_SECRET: "s3cr3t-hook-value" });
    expect(setup.config.jobs.nightly!.webhook_secret).toBe("s3cr3t-hook-value");
    expect(setup.warnings).toEqual([]);
    const dump = effectiveConfig(setup.config) as { jobs: Record<string, Record<string, unknown>> };
    expect(dump.jobs.nightly!.webhook_secret).toBe("<redacted> (from ${env:HOOK_SECRET})");
    const clear = bind(job(["tool ping"], 'webhook_secret = "hunter2hunter2"\n'));
    expect(clear.warnings.map((warning) => `${warning.key}: ${warning.message}`)).toEqual([
      "jobs.nightly.webhook_secret: a secret written in clear text; use ${env:NAME}, ${file:/path} or ${credential:NAME}",
    ]);
  });

  test("[scheduler] shutdown_grace_seconds defaults to 30 and takes whole seconds", () => {
    expect(bind("").config.scheduler).toEqual({ shutdown_grace_seconds: 30 });
    expect(bind("[scheduler]\nshutdown_grace_seconds = 0\n").config.scheduler.shutdown_grace_seconds).toBe(0);
    expect(() => bind("[scheduler]\nshutdown_grace_seconds = 1.5\n")).toThrow("scheduler.shutdown_grace_seconds");
  });
});
