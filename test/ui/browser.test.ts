import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { BINARY, cleanEnv, runSyncer, startDaemon, tempDir, writeConfig, type RunningDaemon } from "../helpers/binary.ts";
import { buildFixturePlugins, DEMO_CSV, FIXTURE_PLUGINS } from "../helpers/plugins.ts";
import { hasCommand } from "../helpers/requirements.ts";

/**
 * The web UI in a real browser: Debian's Chromium driven by playwright-core against the compiled binary
 * (`syncer serve`), with its Content-Security-Policy in force. An operator logs in, searches a host,
 * opens it, runs a job and logs out; a viewer is refused the operator's form; hostile text stays text.
 * axe-core checks every page for serious accessibility violations, and every page is photographed into
 * docs/screenshots/ for the docs.
 */

const HAS_CHROMIUM = hasCommand("chromium", "chromium");
const SCREENSHOTS = resolve(import.meta.dir, "..", "..", "docs", "screenshots");
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const PASSWORD = "correct horse battery staple";
const HOSTILE_HOST = `<img src=x onerror="document.body.dataset.owned='host'">.example.com`;

let daemon: RunningDaemon;
let browser: Browser;
const contexts: BrowserContext[] = [];

function syncer(args: string[], config: string, stdin?: string): string {
  const result = Bun.spawnSync([BINARY, ...args, "--config", config], { env: cleanEnv(), stdin: stdin === undefined ? "ignore" : Buffer.from(stdin), stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`syncer ${args.join(" ")}: ${result.stderr.toString()}`);
  return result.stdout.toString();
}

/** A fresh browser session (its own cookies); collects the page's errors: a CSP violation or a script error fails the test. */
async function newPage(errors: string[]): Promise<Page> {
  const context = await browser.newContext({ baseURL: daemon.url, viewport: { width: 1280, height: 860 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  return page;
}

async function logIn(page: Page, name: string): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("User name").fill(name);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL((url) => url.pathname === "/");
}

/** axe-core in the page: no violation of serious or critical impact. */
async function accessible(page: Page): Promise<void> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: unknown }[] }[] }> } }).axe;
    const result = await axe.run();
    return result.violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical").map((violation) => `${violation.id} (${violation.impact}): ${violation.help} at ${JSON.stringify(violation.nodes.slice(0, 3).map((node) => node.target))}`);
  });
  expect(violations).toEqual([]);
}

async function photograph(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

describe.skipIf(!HAS_CHROMIUM)("the web UI in Chromium", () => {
  beforeAll(async () => {
    buildFixturePlugins();
    mkdirSync(SCREENSHOTS, { recursive: true });
    const dir = tempDir("syncer-browser-");
    const config = writeConfig(
      dir,
      `[server]\nlisten = "127.0.0.1:0"\ndata_dir = "data"\n[plugins]\ndirectories = [${JSON.stringify(FIXTURE_PLUGINS)}]\n` +
        `[accounts.demo]\nplugin = "csv"\n[accounts.demo.custom_fields]\npath = ${JSON.stringify(DEMO_CSV)}\nhostname_column = "host"\nlabel_columns = ["site", "role", "os", "env", "rack", "owner"]\n` +
        `[jobs.import-demo]\nschedule = "0 3 * * *"\nsteps = ["csv import_hosts demo"]\n` +
        `[[rules]]\nname = "berlin hosts"\nconditions = [{ label = "site", match = "equal", value = "berlin" }]\nset = { tier = "primary" }\n` +
        `[[rules]]\nname = "databases"\ntarget = "demo"\nconditions = [{ label = "role", match = "equal", value = "db" }]\nset = { backup = "nightly" }\n`,
    );
    syncer(["migrate"], config);
    syncer(["csv", "import_hosts", "demo"], config);
    for (const [name, role] of [["ada", "admin"], ["olga", "operator"], ["vic", "viewer"]]) syncer(["users", "create", name!, "--role", role!], config, `${PASSWORD}\n`);
    const token = JSON.parse(syncer(["token", "create", "--name", "writer", "--scope", "hosts:write", "--json"], config)).token as string;
    daemon = await startDaemon(["--config", config]);
    const put = await fetch(`${daemon.url}/api/v1/hosts/${encodeURIComponent(HOSTILE_HOST)}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ labels: { note: "<script>document.body.dataset.owned='label'</script>" } }),
    });
    expect(put.status).toBe(201);
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: Bun.which("chromium")!, args: ["--no-sandbox"] });
  }, 120_000);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await daemon?.stop();
  });

  test("an operator logs in, searches a host, opens it, runs a job, reads the run and logs out", async () => {
    const errors: string[] = [];
    const page = await newPage(errors);
    await page.goto("/hosts");
    await page.waitForURL(/\/login\?next=%2Fhosts/);
    await accessible(page);
    await photograph(page, "login");
    await logIn(page, "olga");
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    await page.locator("p", { hasText: "live hosts" }).waitFor();
    await accessible(page);
    await photograph(page, "overview");

    await page.getByRole("link", { name: "Hosts", exact: true }).click();
    await page.waitForURL("**/hosts");
    // Typing filters the table through htmx: no reload, the address follows.
    await page.getByLabel("Host name contains").fill("web01.berlin");
    await page.waitForURL(/search=web01.berlin/);
    const rows = page.locator("#results tbody tr");
    await rows.first().getByRole("link", { name: "web01.berlin.example.com" }).waitFor();
    expect(await rows.count()).toBe(1);
    await accessible(page);
    await photograph(page, "hosts");

    await page.getByRole("link", { name: "web01.berlin.example.com" }).click();
    await page.waitForURL(/\/hosts\/web01\.berlin\.example\.com$/);
    await page.getByRole("heading", { name: "Inventory" }).waitFor();
    expect(await page.locator("dl.kv").first().textContent()).toContain("demo");
    await page.getByRole("heading", { name: "Rules per target" }).waitFor();
    await page.getByRole("table", { name: "Rules for demo, in order" }).getByText("berlin hosts").waitFor();
    await accessible(page);
    await photograph(page, "host");

    await page.getByRole("link", { name: "Jobs", exact: true }).click();
    await page.waitForURL("**/jobs");
    await accessible(page);
    await photograph(page, "jobs");
    await page.getByRole("button", { name: "Run now: import-demo" }).click();
    await page.waitForURL(/\/jobs\/import-demo\?started=\d+/);
    await page.getByText(/Started: job run #\d+\./).waitFor();
    // The page follows the job until it is done (htmx polls while it runs).
    await page.locator("#job").getByText("ok", { exact: true }).first().waitFor({ timeout: 60_000 });
    await accessible(page);
    await photograph(page, "job");

    await page.getByRole("link", { name: "Runs", exact: true }).click();
    await page.waitForURL("**/runs");
    await accessible(page);
    await photograph(page, "runs");
    await page.locator("tbody tr").first().getByRole("link").first().click();
    await page.waitForURL(/\/runs\/\d+$/);
    await page.getByRole("heading", { name: "Changes per host" }).waitFor();
    await accessible(page);
    await photograph(page, "run");
    // The first import's run lists the hosts it created, newest first, each a link to its page.
    await page.goto("/runs/1");
    await page.getByRole("heading", { name: "Hosts created" }).waitFor();
    expect(await page.locator("ul.hosts-created li").count()).toBe(200);
    await page.getByText(/^The newest 200 of the \d{3} hosts the run created are shown\.$/).waitFor();
    await accessible(page);

    await page.getByRole("link", { name: "Plugins", exact: true }).click();
    await page.waitForURL("**/plugins");
    await accessible(page);
    await photograph(page, "plugins");
    await page.getByRole("link", { name: "CSV" }).first().click();
    await page.waitForURL("**/plugins/csv");
    await accessible(page);
    await photograph(page, "plugin");

    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL(/\/login\?logged_out=1/);
    await page.getByText("You are logged out.").waitFor();
    // The session is over on the server: going back gets the login form again.
    await page.goto("/jobs");
    await page.waitForURL(/\/login\?next=%2Fjobs/);
    expect(errors).toEqual([]);
  }, 180_000);

  test("a viewer sees no Run now button, and posting the operator's form anyway is refused: nothing runs", async () => {
    const errors: string[] = [];
    const page = await newPage(errors);
    await logIn(page, "vic");
    await page.goto("/jobs/import-demo");
    const runsBefore = await page.locator("tbody tr").count();
    await page.goto("/jobs");
    expect(await page.getByRole("button", { name: /Run now/ }).count()).toBe(0);
    // The form an operator would post, with the viewer's own session and CSRF token.
    // A form as the page's own script could make one: the operator's action, the viewer's token.
    await page.evaluate(`(() => {
      const form = document.createElement("form");
      form.method = "post";
      form.action = "/jobs/import-demo/run";
      form.append(document.querySelector('input[name="_csrf"]').cloneNode());
      document.body.append(form);
      form.submit();
    })()`);
    await page.getByRole("heading", { name: "Not allowed" }).waitFor();
    expect(await page.locator(".notice").textContent()).toContain("Your role 'viewer' may not do this: it needs the scope 'runs:trigger'");
    await accessible(page);
    await photograph(page, "refused");
    await page.goto("/jobs/import-demo");
    expect(await page.locator("tbody tr").count()).toBe(runsBefore);
    await page.goto("/accounts");
    await page.getByRole("heading", { name: "Not allowed" }).waitFor();
    expect(errors.filter((error) => !error.includes("403"))).toEqual([]);
  }, 120_000);

  test("an admin sees accounts, a plugin view, and hostile text from hosts and plugins stays inert text", async () => {
    const errors: string[] = [];
    const page = await newPage(errors);
    await logIn(page, "ada");
    await page.goto("/accounts");
    await page.getByRole("heading", { name: "Accounts" }).waitFor();
    await accessible(page);
    await photograph(page, "accounts");

    await page.getByRole("link", { name: "Rules", exact: true }).click();
    await page.waitForURL("**/rules");
    await page.getByRole("table", { name: "Rules in order" }).getByText("databases").waitFor();
    await accessible(page);
    await photograph(page, "rules");

    await page.goto("/hosts?search=onerror");
    await page.getByRole("link", { name: HOSTILE_HOST }).click();
    await page.getByRole("heading", { name: HOSTILE_HOST }).waitFor();
    expect(await page.evaluate("document.body.dataset.owned ?? null")).toBeNull();
    expect(await page.locator("img").count()).toBe(0);

    await page.goto("/plugins/viewkit/views/status");
    await page.getByRole("heading", { name: `<script>document.title="owned"</script>Status` }).waitFor();
    expect(await page.evaluate("[document.body.dataset.owned ?? null, document.title]")).toEqual([null, `<script>document.title="owned"</script>Status · Syncer`]);
    expect(await page.locator("main script, main img, main svg").count()).toBe(0);
    expect(await page.getByRole("link", { name: "web01" }).getAttribute("href")).toBe("/hosts/web01.example.com");
    await accessible(page);
    await photograph(page, "plugin-view");
    expect(errors).toEqual([]);
  }, 120_000);
});
