import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { csrf } from "hono/csrf";
import { createMiddleware } from "hono/factory";
import { HTTPException } from "hono/http-exception";
import { csrfMatches, type Session, type SessionStore } from "../../auth/sessions.ts";
import { scopeAllows, type Scope } from "../../auth/tokens.ts";
import type { UserStore } from "../../auth/users.ts";
import type { FailedAuthLimiter } from "../failed-auth-limiter.ts";

/** What the UI needs to know who is there: users (login), sessions, and the failed-login limit the API's tokens share. */
export interface UiAuth {
  users: UserStore;
  sessions: SessionStore;
  limiter: FailedAuthLimiter;
}

/** The UI's Hono environment: the session of the request, when it has one. */
export interface UiEnv {
  Variables: { session: Session | undefined; form: Record<string, string> };
}

export const SESSION_COOKIE = "syncer_session";

/**
 * Whether the browser reached the daemon over TLS: the URL's scheme, or the proxy in front saying so.
 * Trusting X-Forwarded-Proto here can only make a cookie Secure, never less safe.
 */
export const overTls = (c: Context) => new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase() === "https";

/** The session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's request carries it), Secure behind TLS. */
export function setSessionCookie(c: Context, token: string): void {
  setCookie(c, SESSION_COOKIE, token, { path: "/", httpOnly: true, sameSite: "Strict", secure: overTls(c) });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/", httpOnly: true, sameSite: "Strict", secure: overTls(c) });
}

/** Puts the request's session (or undefined) on the context. */
export function loadSession(sessions: SessionStore) {
  return createMiddleware<UiEnv>(async (c, next) => {
    c.set("session", sessions.resume(getCookie(c, SESSION_COOKIE)));
    await next();
  });
}

/** Only a path of this site may be where a login returns to: no other origin, no scheme-relative `//host`. */
export function safeReturnPath(path: string | undefined): string {
  return path && path.startsWith("/") && !path.startsWith("//") && !path.startsWith("/\\") ? path : "/";
}

/** Sends a browser without a session to the login form, to come back afterwards; htmx requests are told to load it as a whole page. */
export function toLogin(c: Context, reason?: "expired") {
  const back = c.req.method === "GET" ? c.req.path + (new URL(c.req.url).search ?? "") : "/";
  const target = `/login?next=${encodeURIComponent(back)}${reason ? `&${reason}=1` : ""}`;
  if (c.req.header("hx-request")) {
    c.header("HX-Redirect", target);
    return c.body(null, 204);
  }
  return c.redirect(target, 303);
}

/** What a page answers when the user's role does not allow it (a 403 page). */
export type Refusal = (c: Context<UiEnv>, session: Session, scope: Scope) => Response | Promise<Response>;

/**
 * Lets the request through with a live session whose role grants `scope`: without a session, to the
 * login form (an expired one says so); with a role that lacks it, a 403 page naming what it needs.
 */
export function requireSession(scope: Scope, refuse: Refusal) {
  return createMiddleware<UiEnv>(async (c, next) => {
    const session = c.get("session");
    if (!session) return toLogin(c, getCookie(c, SESSION_COOKIE) ? "expired" : undefined);
    if (!scopeAllows(session.scopes, scope)) return refuse(c, session, scope);
    await next();
  });
}

/** Why a form was refused before it reached its handler. */
export type FormRefusal = (c: Context<UiEnv>, why: string) => Response | Promise<Response>;

const sameOrigin = csrf();

/**
 * Every form post is checked twice against cross-site request forgery, before anything is read or
 * written: Hono's csrf middleware (the browser's Sec-Fetch-Site says same-origin, or its Origin is this
 * one), and the synchroniser token: the form's `_csrf` must be the session's own token (the login form,
 * before there is a session, carries a token of its own instead: see routes/login.tsx). The checked form
 * fields are left on the context (`c.get("form")`). Bodies are limited in size before this (ui.ts).
 */
export function verifyForm(refuse: FormRefusal, options: { sessionToken?: boolean } = {}) {
  const checkSessionToken = options.sessionToken ?? true;
  return createMiddleware<UiEnv>(async (c, next) => {
    try {
      await sameOrigin(c, async () => {});
    } catch (error) {
      if (error instanceof HTTPException && error.status === 403) return refuse(c, "the form was not sent from this site (its Origin and Sec-Fetch-Site headers say otherwise)");
      throw error;
    }
    const type = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
    if (type !== "application/x-www-form-urlencoded" && type !== "multipart/form-data") return refuse(c, "the request is not a form");
    const body = await c.req.parseBody();
    const form: Record<string, string> = {};
    for (const [name, value] of Object.entries(body)) if (typeof value === "string") form[name] = value;
    const session = c.get("session");
    if (checkSessionToken && session && !csrfMatches(session, form._csrf)) return refuse(c, "the form's security token is missing or belongs to another session; reload the page and try again");
    c.set("form", form);
    await next();
  });
}
