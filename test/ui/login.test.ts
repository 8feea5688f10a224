import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { hiddenField, PASSWORD, uiApp, type UiApp } from "../helpers/ui-app.ts";

/**
 * Logging in and out of the web UI, sessions held by the server, CSRF on every form, and roles: what a
 * browser gets for each, and that a refused request writes nothing.
 */

const JOBS = `[jobs.nightly]\nschedule = "0 3 * * *"\nsteps = ["testkit hello"]\n[jobs.idle]\nschedule = "0 4 * * *"\nsteps = ["testkit hello"]\nenabled = false\n`;

let app: UiApp;
beforeAll(async () => {
  app = uiApp(JOBS);
  await app.users.create({ name: "ada", role: "admin", password: PASSWORD });
  await app.users.create({ name: "olga", role: "operator", password: PASSWORD });
  await app.users.create({ name: "vic", role: "viewer", password: PASSWORD });
});
afterAll(() => app.close());

const jobRuns = () => app.query<{ n: number }>("SELECT count(*) AS n FROM job_runs")[0]!.n;
const sessions = () => app.query<{ n: number }>("SELECT count(*) AS n FROM sessions")[0]!.n;

describe("logging in", () => {
  test("a page without a session sends the browser to the login form, which brings it back afterwards", async () => {
    const browser = app.browser();
    const page = await browser.get("/hosts?search=web");
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/login?next=%2Fhosts%3Fsearch%3Dweb");
    const form = await browser.get(page.headers.get("location")!);
    expect(form.status).toBe(200);
    expect(form.text).toContain('<form method="post" action="/login">');
    const answer = await browser.post("/login", { _login: hiddenField(form.text, "_login")!, next: hiddenField(form.text, "next")!, username: "ada", password: PASSWORD });
    expect(answer.status).toBe(303);
    expect(answer.headers.get("location")).toBe("/hosts?search=web");
    expect((await browser.get("/hosts?search=web")).status).toBe(200);
  });

  test("the session cookie is HttpOnly and SameSite=Strict, Secure behind TLS; the server keeps only its hash", async () => {
    const plain = app.browser();
    const answer = await plain.login("ada");
    const cookie = answer.headers.getSetCookie().find((line) => line.startsWith("syncer_session="))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toMatch(/Secure/);
    const token = plain.cookies.get("syncer_session")!;
    expect(app.query<{ id: string }>("SELECT id FROM sessions").map((row) => row.id)).not.toContain(token);
    expect(app.query<{ id: string }>("SELECT id FROM sessions").map((row) => row.id)).toContain(new Bun.CryptoHasher("sha256").update(token).digest("hex"));

    const proxied = app.browser();
    const form = await proxied.get("/login", { "x-forwarded-proto": "https" });
    const behindTls = await proxied.post("/login", { _login: hiddenField(form.text, "_login")!, next: "/", username: "ada", password: PASSWORD }, { "x-forwarded-proto": "https" });
    expect(behindTls.headers.getSetCookie().find((line) => line.startsWith("syncer_session="))).toMatch(/Secure/);
  });

  test("a wrong password, an unknown name and a disabled user get the same 401 form, and no session", async () => {
    await app.users.create({ name: "gone", role: "viewer", password: PASSWORD });
    app.users.setDisabled("gone", true);
    const before = sessions();
    for (const [name, password] of [["ada", "wrong password!!"], ["nobody", PASSWORD], ["gone", PASSWORD]]) {
      const browser = app.browser();
      const answer = await browser.login(name!, password);
      expect(answer.status).toBe(401);
      expect(answer.text).toContain("Wrong user name or password.");
      expect(browser.cookies.has("syncer_session")).toBe(false);
    }
    expect(sessions()).toBe(before);
  });

  test("after 10 failed logins within a minute the address is refused, even with the right password, until they age out", async () => {
    const limited = uiApp();
    await limited.users.create({ name: "ada", role: "admin", password: PASSWORD });
    const browser = limited.browser();
    for (let i = 0; i < 10; i++) expect((await browser.login("ada", `guess number ${i}`)).status).toBe(401);
    const refused = await browser.login("ada");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("60");
    expect(refused.text).toContain("Too many failed logins from this address");
    expect(browser.cookies.has("syncer_session")).toBe(false);
    limited.clock.now += 61_000;
    expect((await browser.login("ada")).status).toBe(303);
    limited.close();
  });

  test("a login post without the login form's token, or from another site, is refused and starts no session", async () => {
    const browser = app.browser();
    await browser.get("/login");
    const before = sessions();
    const noToken = await browser.post("/login", { next: "/", username: "ada", password: PASSWORD });
    expect(noToken.status).toBe(403);
    expect(noToken.text).toContain("security token is missing or stale");
    const form = await browser.get("/login");
    const crossSite = await browser.post("/login", { _login: hiddenField(form.text, "_login")!, username: "ada", password: PASSWORD }, { origin: "https://evil.example", "sec-fetch-site": "cross-site" });
    expect(crossSite.status).toBe(403);
    expect(crossSite.text).toContain("not sent from this site");
    expect(sessions()).toBe(before);
  });

  test("a login never returns to another site: next must be a path of this one", async () => {
    const browser = app.browser();
    const form = await browser.get("/login?next=//evil.example/x");
    expect(hiddenField(form.text, "next")).toBe("/");
    const answer = await browser.post("/login", { _login: hiddenField(form.text, "_login")!, next: "https://evil.example/", username: "ada", password: PASSWORD });
    expect(answer.headers.get("location")).toBe("/");
  });
});

describe("sessions", () => {
  test("logging out ends the session on the server: the old cookie no longer opens a page", async () => {
    const browser = app.browser();
    await browser.login("ada");
    const token = browser.cookies.get("syncer_session")!;
    const answer = await browser.post("/logout", { _csrf: await browser.csrf() });
    expect(answer.status).toBe(303);
    expect(answer.headers.get("location")).toBe("/login?logged_out=1");
    expect(browser.cookies.has("syncer_session")).toBe(false);
    const replay = app.browser();
    replay.cookies.set("syncer_session", token);
    expect((await replay.get("/hosts")).status).toBe(303);
  });

  test("an expired session sends the browser to log in again, saying so; its row is deleted", async () => {
    const browser = app.browser();
    await browser.login("vic");
    expect((await browser.get("/")).status).toBe(200);
    const before = sessions();
    app.clock.now += 121 * 60_000; // past [ui] session_idle_minutes = 120
    try {
      const page = await browser.get("/runs");
      expect(page.status).toBe(303);
      expect(page.headers.get("location")).toBe("/login?next=%2Fruns&expired=1");
      expect((await browser.get(page.headers.get("location")!)).text).toContain("Your session has ended; log in again.");
      expect(sessions()).toBe(before - 1);
    } finally {
      app.clock.now -= 121 * 60_000;
    }
  });

  test("htmx requests of an ended session are told to load the login page", async () => {
    const browser = app.browser();
    const page = await browser.get("/hosts?search=x", { "hx-request": "true", "hx-target": "results" });
    expect(page.status).toBe(204);
    expect(page.headers.get("hx-redirect")).toBe("/login?next=%2Fhosts%3Fsearch%3Dx");
  });

  test("disabling a user or setting a new password ends their sessions at once", async () => {
    await app.users.create({ name: "temp", role: "viewer", password: PASSWORD });
    const browser = app.browser();
    await browser.login("temp");
    expect((await browser.get("/")).status).toBe(200);
    app.users.setDisabled("temp", true);
    expect((await browser.get("/")).status).toBe(303);
    app.users.setDisabled("temp", false);
    await browser.login("temp");
    await app.users.setPassword("temp", "a different long password");
    expect((await browser.get("/")).status).toBe(303);
  });
});

describe("forms and roles", () => {
  test("an operator runs a job now: the job run is recorded and the page says which", async () => {
    const browser = app.browser();
    await browser.login("olga");
    const jobs = await browser.get("/jobs");
    expect(jobs.text).toContain("Run now");
    const before = jobRuns();
    const answer = await browser.post("/jobs/nightly/run", { _csrf: hiddenField(jobs.text, "_csrf")! });
    expect(answer.status).toBe(303);
    expect(answer.headers.get("location")).toMatch(/^\/jobs\/nightly\?started=\d+$/);
    expect(jobRuns()).toBe(before + 1);
    expect(app.query<{ trigger: string }>("SELECT trigger FROM job_runs ORDER BY id DESC LIMIT 1")[0]!.trigger).toBe("ui");
    await app.services.jobs.drain(30_000);
  });

  test("a viewer sees no Run now button, and posting the operator's form is refused with 403: nothing runs", async () => {
    const browser = app.browser();
    await browser.login("vic");
    const jobs = await browser.get("/jobs");
    expect(jobs.text).not.toContain("Run now");
    const before = jobRuns();
    const answer = await browser.post("/jobs/nightly/run", { _csrf: await browser.csrf() });
    expect(answer.status).toBe(403);
    expect(answer.text).toContain("Your role &#39;viewer&#39; may not do this: it needs the scope &#39;runs:trigger&#39;");
    expect(jobRuns()).toBe(before);
  });

  test("a form without the session's CSRF token, with another session's, or from another site, is refused: nothing runs", async () => {
    const operator = app.browser();
    await operator.login("olga");
    const other = app.browser();
    await other.login("ada");
    const before = jobRuns();
    const missing = await operator.post("/jobs/nightly/run", {});
    expect(missing.status).toBe(403);
    expect(missing.text).toContain("security token is missing or belongs to another session");
    expect((await operator.post("/jobs/nightly/run", { _csrf: await other.csrf() })).status).toBe(403);
    const crossSite = await operator.post("/jobs/nightly/run", { _csrf: await operator.csrf() }, { origin: "https://evil.example", "sec-fetch-site": "cross-site" });
    expect(crossSite.status).toBe(403);
    const noOrigin = await operator.post("/jobs/nightly/run", { _csrf: await operator.csrf() }, { origin: "", "sec-fetch-site": "" });
    expect(noOrigin.status).toBe(403);
    expect(jobRuns()).toBe(before);
  });

  test("a disabled job and an unknown job are refused with a page saying why", async () => {
    const browser = app.browser();
    await browser.login("olga");
    const csrf = await browser.csrf();
    const disabled = await browser.post("/jobs/idle/run", { _csrf: csrf });
    expect(disabled.status).toBe(409);
    expect(disabled.text).toContain("job idle is disabled");
    const unknown = await browser.post("/jobs/nightlly/run", { _csrf: csrf });
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain("did you mean &#39;nightly&#39;?");
  });

  test("accounts are for admins: viewers and operators are refused and do not see the link", async () => {
    for (const [name, status] of [["vic", 403], ["olga", 403], ["ada", 200]] as const) {
      const browser = app.browser();
      await browser.login(name);
      expect((await browser.get("/accounts")).status).toBe(status);
      expect((await browser.get("/")).text.includes('href="/accounts"')).toBe(status === 200);
    }
  });
});
