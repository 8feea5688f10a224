import { timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { Hono } from "hono";
import { Notice } from "../components.tsx";
import { errorPage, type UiContext } from "../context.tsx";
import { BarePage } from "../layout.tsx";
import { clearSessionCookie, overTls, safeReturnPath, setSessionCookie, verifyForm, type UiEnv } from "../session.ts";

/**
 * The login form's own CSRF token, before any session exists: a random value in a SameSite=Strict cookie
 * and the same in the form (double submit), so another site cannot log a browser in to an account of its
 * choosing. Hono's csrf check (Origin / Sec-Fetch-Site) runs first, as on every form.
 */
const LOGIN_COOKIE = "syncer_login";
const newLoginToken = () => Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("base64url");

function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

interface FormState {
  next: string;
  username?: string;
  notice?: { kind: "error" | "info" | "ok"; text: string };
}

function loginPage(c: Context<UiEnv>, state: FormState, status: 200 | 401 | 429 = 200) {
  const token = newLoginToken();
  setCookie(c, LOGIN_COOKIE, token, { path: "/login", httpOnly: true, sameSite: "Strict", secure: overTls(c) });
  return c.html(
    <BarePage title="Log in">
      <div class="login panel">
        <h1>Syncer</h1>
        {state.notice && <Notice kind={state.notice.kind}>{state.notice.text}</Notice>}
        <form method="post" action="/login">
          <input type="hidden" name="_login" value={token} />
          <input type="hidden" name="next" value={state.next} />
          <div class="field">
            <label for="username">User name</label>
            <input type="text" id="username" name="username" autocomplete="username" required value={state.username ?? ""} autofocus={!state.username} />
          </div>
          <div class="field">
            <label for="password">Password</label>
            <input type="password" id="password" name="password" autocomplete="current-password" required autofocus={Boolean(state.username)} />
          </div>
          <button type="submit">Log in</button>
        </form>
      </div>
    </BarePage>,
    status,
  );
}

/** GET and POST /login, POST /logout. */
export function loginRoutes({ auth }: UiContext): Hono<UiEnv> {
  const app = new Hono<UiEnv>();
  const refuse = (c: Context<UiEnv>, why: string) => errorPage(c, 403, "Form refused", `Nothing was done: ${why}.`);

  app.get("/login", (c) => {
    const next = safeReturnPath(c.req.query("next"));
    if (c.get("session")) return c.redirect(next, 303);
    const notice = c.req.query("expired") !== undefined
      ? { kind: "info" as const, text: "Your session has ended; log in again." }
      : c.req.query("logged_out") !== undefined
        ? { kind: "ok" as const, text: "You are logged out." }
        : undefined;
    return loginPage(c, { next, notice });
  });

  app.post("/login", verifyForm(refuse, { sessionToken: false }), async (c) => {
    const form = c.get("form");
    const next = safeReturnPath(form.next);
    const client = auth.limiter.clientOf(c);
    const retryAfter = auth.limiter.retryAfterSeconds(client);
    if (retryAfter > 0) {
      c.header("Retry-After", String(retryAfter));
      return loginPage(c, { next, username: form.username, notice: { kind: "error", text: `Too many failed logins from this address; try again in ${retryAfter} s.` } }, 429);
    }
    if (!sameToken(form._login, getCookie(c, LOGIN_COOKIE))) return refuse(c, "the login form's security token is missing or stale; reload the login page and try again");
    const user = await auth.users.verify(form.username ?? "", form.password ?? "");
    if (!user) {
      auth.limiter.recordFailure(client);
      // One message for an unknown name, a wrong password and a disabled user: the form tells nothing about which.
      return loginPage(c, { next, username: form.username, notice: { kind: "error", text: "Wrong user name or password." } }, 401);
    }
    // A fresh session at every login: a token planted in the browser before (session fixation) is worth nothing.
    const previous = c.get("session");
    if (previous) auth.sessions.end(previous);
    const { token } = auth.sessions.start(user);
    setSessionCookie(c, token);
    deleteCookie(c, LOGIN_COOKIE, { path: "/login" });
    return c.redirect(next, 303);
  });

  app.post("/logout", verifyForm(refuse), (c) => {
    const session = c.get("session");
    if (session) auth.sessions.end(session);
    clearSessionCookie(c);
    return c.redirect("/login?logged_out=1", 303);
  });

  return app;
}
