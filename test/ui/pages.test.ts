import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildFixturePlugins } from "../helpers/plugins.ts";
import { PASSWORD, uiApp, type UiApp, type UiBrowser } from "../helpers/ui-app.ts";

/**
 * The pages as a browser gets them, in-process: what each shows, and that text from the inventory or a
 * plugin is text, whatever it holds. (test/ui/browser.test.ts drives the same pages in Chromium.)
 */

const SECRET = "s3cret-cmdb-password";
const HOSTILE_HOST = `<script>document.body.dataset.owned="host"</script>.example.com`;

const RULES = `
[[rules]]
name = "berlin hosts"
conditions = [{ label = "site", match = "equal", value = "berlin" }]
set = { tier = "primary" }

[[rules]]
name = "web hosts of cmdb"
target = "cmdb"
conditions = [{ label = "role", match = "equal", value = "web" }]
set = { team = "<b>web</b>" }

[[rules]]
name = "leave paris out"
target = "cmdb"
conditions = [{ label = "site", match = "equal", value = "paris" }]
set = { ignore_host = true }
`;

let app: UiApp;
let admin: UiBrowser;
let viewer: UiBrowser;

beforeAll(async () => {
  buildFixturePlugins();
  app = uiApp(`[accounts.cmdb]\nplugin = "testkit"\npassword = "\${env:CMDB_PASSWORD}"\n[jobs.nightly]\nschedule = "0 3 * * *"\nsteps = ["testkit hello"]\n${RULES}`, { CMDB_PASSWORD: SECRET });
  await app.users.create({ name: "ada", role: "admin", password: PASSWORD });
  await app.users.create({ name: "vic", role: "viewer", password: PASSWORD });
  const writes = app.services.writes();
  await writes.upsert("cmdb", [
    { hostname: "web01.berlin.example.com", labels: { site: "berlin", role: "web" }, inventory: { os: "debian", ram_gb: 16 } },
    { hostname: "db01.berlin.example.com", labels: { site: "berlin", role: "db" } },
    { hostname: "web02.paris.example.com", labels: { site: "paris", role: "web" } },
    { hostname: HOSTILE_HOST, labels: { note: `"><img src=x onerror=alert(1)>` }, inventory: { comment: "<b>bold</b>" } },
  ]);
  await writes.upsert("cmdb", [{ hostname: "web01.berlin.example.com", labels: { site: "berlin", role: "web", rack: "r7" } }]);
  app.storage.hosts.setLifecycle("db01.berlin.example.com", "decommissioned", Date.now());
  // testkit hello without an account fails: a failed job, a failed run with its log.
  await app.services.jobs.trigger("nightly", "cli");
  admin = app.browser();
  await admin.login("ada");
  viewer = app.browser();
  await viewer.login("vic");
}, 60_000);
afterAll(() => app.close());

/** The page's text without tags, entities decoded: what a reader sees. */
const visible = (html: string) =>
  html
    .replace(/<[^>]*>/g, " ")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ");

describe("pages", () => {
  test("the overview counts live hosts per account and lifecycle, and lists plugins and jobs", async () => {
    const page = await admin.get("/");
    expect(page.status).toBe(200);
    expect(visible(page.text)).toContain("4 live hosts");
    expect(visible(page.text)).toMatch(/account active decommissioned total cmdb 3 1 4/);
    expect(page.text).toContain('href="/plugins/testkit"');
    expect(visible(page.text)).toContain("nightly");
    expect(visible(page.text)).toContain("step 1 (testkit hello): testkit hello: hello needs an account");
  });

  test("every page answers with a Content-Security-Policy that allows this origin's files only, and is not cached", async () => {
    const page = await admin.get("/hosts");
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
  });

  test("the hosts page searches, filters by account, label and lifecycle, and pages by hostname", async () => {
    const names = async (query: string) => [...(await admin.get(`/hosts${query}`)).text.matchAll(/<a href="\/hosts\/([^"]+)">/g)].map((match) => decodeURIComponent(match[1]!));
    expect(await names("?search=berlin")).toEqual(["db01.berlin.example.com", "web01.berlin.example.com"]);
    expect(await names("?label=role%3Dweb")).toEqual(["web01.berlin.example.com", "web02.paris.example.com"]);
    expect(await names("?label=rack%3Dr7&search=web")).toEqual(["web01.berlin.example.com"]);
    expect(await names("?lifecycle=decommissioned")).toEqual(["db01.berlin.example.com"]);
    expect(await names("?account=cmdb&lifecycle=active&search=example")).toEqual([HOSTILE_HOST, "web01.berlin.example.com", "web02.paris.example.com"]);
    expect(await names("?label=site%3Dnowhere")).toEqual([]);
    const bad = await admin.get("/hosts?label=nonsense");
    expect(bad.status).toBe(200);
    expect(bad.text).toContain("A label filter is written key=value");
  });

  test("htmx asks for the results alone as the filters change", async () => {
    const fragment = await admin.get("/hosts?search=paris", { "hx-request": "true", "hx-target": "results" });
    expect(fragment.text.startsWith('<div id="results"')).toBe(true);
    expect(fragment.text).toContain("web02.paris.example.com");
    expect(fragment.text).not.toContain("<html");
  });

  test("a host's page shows its labels, inventory by namespace, owner and change history", async () => {
    const page = await admin.get(`/hosts/${encodeURIComponent("web01.berlin.example.com")}`);
    expect(page.status).toBe(200);
    const text = visible(page.text);
    expect(text).toContain("owner cmdb");
    expect(text).toMatch(/cmdb os debian ram_gb 16/);
    expect(text).toContain("rack");
    expect(text).toMatch(/by hand labels \{\} \{"rack":"r7"\}/);
    expect((await admin.get("/hosts/nope.example.com")).status).toBe(404);
  });

  test("a host's page explains the rules per target: each rule in order, its conditions with the value seen, and what the target receives", async () => {
    const web01 = visible((await admin.get(`/hosts/${encodeURIComponent("web01.berlin.example.com")}`)).text);
    expect(web01).toContain("Rules per target");
    // The account cmdb (a target the rules name), with the "*" rule and its own rules in order.
    expect(web01).toMatch(/cmdb \(plugin testkit\) receives exported/);
    expect(web01).toMatch(/berlin hosts \S+:\d+:\d+ matched ✓ label site equal "berlin" \(berlin\) tier = primary/);
    expect(web01).toMatch(/web hosts of cmdb \S+:\d+:\d+ matched ✓ label role equal "web" \(web\) team = <b>web<\/b>/);
    expect(web01).toMatch(/leave paris out \S+:\d+:\d+ no match ✗ label site equal "paris" \(berlin\)/);
    const paris = visible((await admin.get(`/hosts/${encodeURIComponent("web02.paris.example.com")}`)).text);
    expect(paris).toContain("ignored a rule tells this target to leave the host out");
    // Text a rule sets is text on the page.
    expect((await admin.get(`/hosts/${encodeURIComponent("web01.berlin.example.com")}`)).text).not.toContain("<b>web</b>");
  });

  test("the rules page lists every rule in order with how many active hosts it matches", async () => {
    const page = await admin.get("/rules");
    expect(page.status).toBe(200);
    const text = visible(page.text);
    expect(text).toContain("matches counted over 3 active hosts");
    expect(text).toMatch(/berlin hosts \S+:\d+:\d+ every target label site equal "berlin" tier = primary 1 0/);
    expect(text).toMatch(/web hosts of cmdb \S+:\d+:\d+ cmdb label role equal "web" team = <b>web<\/b> 2 0/);
    expect(text).toMatch(/leave paris out \S+:\d+:\d+ cmdb label site equal "paris" ignore_host = true 1 0/);
    expect((await viewer.get("/rules")).status).toBe(200);
  });

  test("the rules page counts again once the hosts change, and not before", async () => {
    const hosts = app.services.database.hosts;
    const readInventory = hosts.eligibleReader.bind(hosts);
    let reads = 0;
    hosts.eligibleReader = () => (reads++, readInventory());
    const before = visible((await admin.get("/rules")).text);
    expect(before).toContain("over 3 active hosts");
    await admin.get("/rules");
    expect(reads).toBe(0);
    const writes = app.services.writes();
    await writes.upsert("cmdb", [{ hostname: "web03.berlin.example.com", labels: { site: "berlin", role: "web" } }]);
    const after = visible((await admin.get("/rules")).text);
    expect(after).toContain("over 4 active hosts");
    expect(after).toMatch(/berlin hosts \S+ every target .* tier = primary 2 0/);
    expect(reads).toBe(1);
    app.storage.hosts.setLifecycle("web03.berlin.example.com", "decommissioned", Date.now());
    expect(visible((await admin.get("/rules")).text)).toContain("over 3 active hosts");
    expect(reads).toBe(2);
    hosts.eligibleReader = readInventory;
  });

  test("a host name with HTML in it is shown as text on every page, never as markup", async () => {
    for (const path of ["/hosts", `/hosts/${encodeURIComponent(HOSTILE_HOST)}`, "/hosts?search=script"]) {
      const page = await admin.get(path);
      expect(page.status).toBe(200);
      expect(page.text).not.toContain("<script>document.body");
      expect(page.text).not.toContain("<img src=x");
      expect(page.text).not.toContain("<b>bold</b>");
      expect(page.text).toContain("&lt;script&gt;document.body.dataset.owned=&quot;host&quot;&lt;/script&gt;.example.com");
    }
  });

  test("the events page lists the newest events as text, filters by type, and shows each subscriber's state; viewers may read it", async () => {
    const page = await viewer.get("/events");
    expect(page.status).toBe(200);
    const text = visible(page.text);
    expect(text).toContain("host.created");
    expect(text).toContain("host.lifecycle");
    expect(text).toContain("job.failed");
    // The listener fixture subscribes: it is recorded once the services start delivering.
    expect(text).toMatch(/plugin:listener (active|dead letter)/);
    // A hostname that is markup is shown as text, in the event's data too.
    expect(page.text).not.toContain("<script>document.body");
    expect(page.text).not.toContain("<img src=x");
    const hosts = visible((await viewer.get("/events?type=host.lifecycle")).text);
    expect(hosts).toContain("db01.berlin.example.com");
    expect(hosts).not.toContain("host.created");
    const bad = await viewer.get("/events?type=run.*.x");
    expect(bad.status).toBe(200);
    expect(visible(bad.text)).toContain('type "run.*.x": not an event type or pattern');
  });

  test("accounts show where a secret comes from, never its value", async () => {
    const page = await admin.get("/accounts");
    expect(page.status).toBe(200);
    expect(page.text).toContain("CMDB_PASSWORD");
    expect(page.text).not.toContain(SECRET);
    expect(visible(page.text)).toContain("password <redacted> (from ${env:CMDB_PASSWORD})");
  });

  test("a plugin's page lists its permissions with their reasons, commands, endpoints and views", async () => {
    const testkit = visible((await viewer.get("/plugins/testkit")).text);
    expect(testkit).toContain("HTTP (the account's address) fetches test pages from the account's address");
    expect(testkit).toContain("host data (read) reads hosts in tests");
    expect(testkit).toContain("/api/v1/plugins/testkit/echo");
    expect(testkit).toMatch(/hello action optional yes/);
    const viewkit = await viewer.get("/plugins/viewkit");
    expect(viewkit.text).toContain('href="/plugins/viewkit/views/status"');
    // A view needing admin is not offered to a viewer.
    expect(viewkit.text).not.toContain('href="/plugins/viewkit/views/secrets"');
  });

  test("runs and jobs list what happened; a run shows its log lines and what it changed per host", async () => {
    const runs = await admin.get("/runs");
    expect(runs.status).toBe(200);
    const id = /href="\/runs\/(\d+)"/.exec(runs.text)![1];
    const run = await admin.get(`/runs/${id}`);
    expect(run.status).toBe(200);
    expect(visible(run.text)).toContain("Run #1: testkit hello failed");
    expect(visible(run.text)).toContain("options: testkit hello: hello needs an account");
    expect(visible(run.text)).toContain("Changes per host");
    expect((await admin.get("/runs/999999")).status).toBe(404);
    const jobs = await admin.get("/jobs");
    expect(visible(jobs.text)).toContain("0 3 * * *");
    expect(visible((await admin.get("/jobs/nightly")).text)).toMatch(/#1 cli failed .* testkit hello failed testkit hello: hello needs an account/);
  });

  test("an unknown address is a 404 page for a browser and JSON for the API", async () => {
    const page = await admin.get("/nothing/here");
    expect(page.status).toBe(404);
    expect(page.headers.get("content-type")).toContain("text/html");
    const api = await admin.get("/api/v1/nothing");
    expect(api.status).toBe(404);
    expect(JSON.parse(api.text).error.kind).toBe("not_found");
  });
});

describe("plugin views", () => {
  test("a view's answer is rendered from data: hostile text in every component stays text, links stay within the site", async () => {
    const page = await viewer.get("/plugins/viewkit/views/status");
    expect(page.status).toBe(200);
    const html = page.text;
    for (const markup of ["<script>", "<img src=x", "<svg onload", '<a href="javascript:', "onerror=\"", "onload=\""]) expect(html).not.toContain(markup);
    expect(html).toContain("&lt;script&gt;document.title=&quot;owned&quot;&lt;/script&gt;Status");
    expect(html).toContain("&lt;img src=x onerror=&quot;document.body.dataset.owned=1&quot;&gt;");
    expect(html).toContain('<a href="/hosts/web01.example.com">web01</a>');
    expect(html).toContain(`<a href="/hosts/${encodeURIComponent('"><script>alert(5)</script>')}">evil</a>`);
    expect(html).toContain('<span class="badge error">down</span>');
    expect(html).toContain(`href="/plugins/viewkit/views/details?page=2&amp;q=%22%3E%3Cscript%3Ealert%286%29%3C%2Fscript%3E"`);
    // javascript: is only ever text.
    expect(html).not.toMatch(/href="javascript:/);
  });

  test("a view receives the view's name and the page's query", async () => {
    const page = await viewer.get("/plugins/viewkit/views/details?page=2&q=%3Cb%3E");
    expect(page.text).toContain("{&quot;view&quot;:&quot;details&quot;,&quot;query&quot;:{&quot;page&quot;:&quot;2&quot;,&quot;q&quot;:&quot;&lt;b&gt;&quot;}}");
  });

  test("a view answering HTML instead of data is an error page; the HTML is never passed on", async () => {
    const page = await viewer.get("/plugins/viewkit/views/html");
    expect(page.status).toBe(502);
    expect(page.text).toContain("answered something that is not a view");
    expect(page.text).not.toContain("<h1>Hello</h1>");
    expect(page.text).not.toContain("<script>document");
  });

  test("a failing view is an error page carrying the plugin's error kind, as text", async () => {
    const page = await viewer.get("/plugins/viewkit/views/failing");
    expect(page.status).toBe(502);
    expect(page.text).toContain("connection: the backend at &lt;b&gt;10.0.0.1&lt;/b&gt; did not answer");
  });

  test("a view's scope is checked: an admin-only view refuses a viewer, and unknown views are 404", async () => {
    expect((await viewer.get("/plugins/viewkit/views/secrets")).status).toBe(403);
    expect((await admin.get("/plugins/viewkit/views/secrets")).status).toBe(200);
    expect((await viewer.get("/plugins/viewkit/views/nope")).status).toBe(404);
    expect((await viewer.get("/plugins/nope/views/status")).status).toBe(404);
  });
});
