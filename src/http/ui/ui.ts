import { Hono, type Context, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { secureHeaders } from "hono/secure-headers";
import { asSyncerError } from "../../core/errors.ts";
import type { Scope } from "../../auth/tokens.ts";
import { assetRoutes } from "./assets.ts";
import { errorPage, type UiContext } from "./context.tsx";
import { accountRoutes } from "./pages/accounts.tsx";
import { hostRoutes } from "./pages/hosts.tsx";
import { jobRoutes } from "./pages/jobs.tsx";
import { loginRoutes } from "./pages/login.tsx";
import { overviewRoutes } from "./pages/overview.tsx";
import { pluginViewRoutes } from "./pages/plugin-views.tsx";
import { pluginRoutes } from "./pages/plugins.tsx";
import { ruleRoutes } from "./pages/rules.tsx";
import { runRoutes } from "./pages/runs.tsx";
import { eventRoutes } from "./pages/events.tsx";
import { loadSession, requireSession, type Refusal, type UiEnv } from "./session.ts";

export type { UiContext };

/** Largest form the UI accepts (a login, a button): anything bigger is not one of ours. */
const MAX_FORM_BYTES = 64 * 1024;

/** Which scope each section needs; a page of a section answers only sessions whose role grants it. */
const SECTION_SCOPES: [string, Scope][] = [
  ["/", "hosts:read"],
  ["/hosts", "hosts:read"],
  ["/hosts/*", "hosts:read"],
  ["/rules", "hosts:read"],
  ["/plugins", "hosts:read"],
  ["/plugins/*", "hosts:read"],
  ["/runs", "runs:read"],
  ["/runs/*", "runs:read"],
  ["/jobs", "runs:read"],
  ["/jobs/*", "runs:read"],
  ["/events", "events:read"],
  ["/accounts", "admin"],
];

const ROLE_HINT: Partial<Record<Scope, string>> = { "runs:trigger": "operators and admins have it", admin: "only admins have it", "runs:read": "every role has it", "hosts:read": "every role has it", "events:read": "every role has it" };

/** A role that lacks a scope gets a page saying what it would need; nothing else happens. */
const refuse: Refusal = (c, session, scope) =>
  errorPage(c, 403, "Not allowed", `Your role '${session.user.role}' may not do this: it needs the scope '${scope}'${ROLE_HINT[scope] ? ` (${ROLE_HINT[scope]})` : ""}. Nothing was done.`);

/**
 * The web UI, served by the daemon at / beside the API: server-rendered pages (Hono's JSX) that htmx,
 * embedded in the binary, enhances where a browser runs scripts; every page works without them. Every
 * answer forbids other origins to frame or script it (a Content-Security-Policy allowing this origin's
 * files only), pages are never cached, and every page but the login form needs a session whose role
 * grants the section's scope.
 */
export function uiApp(context: UiContext): Hono<UiEnv> {
  const app = new Hono<UiEnv>();
  app.onError((error, c) => {
    const failure = asSyncerError(error);
    context.services.log.error("UI request failed", { method: c.req.method, path: c.req.path, kind: failure.kind, error: failure.message });
    return errorPage(c, 500, "Something went wrong", "The request failed on the server; its log says why.");
  });
  app.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      referrerPolicy: "same-origin",
      xFrameOptions: "DENY",
    }),
  );
  app.route("/", assetRoutes());
  app.use(async (c, next) => {
    await next();
    if (!c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "no-store");
  });
  const limitForm = bodyLimit({ maxSize: MAX_FORM_BYTES, onError: (c) => errorPage(c as Context<UiEnv>, 413, "Form too large", "The form is larger than any form of this site; nothing was done.") });
  app.use((c, next) => (c.req.method === "POST" ? limitForm(c, next) : next()));
  app.use(loadSession(context.auth.sessions));
  app.route("/", loginRoutes(context));
  for (const [path, scope] of SECTION_SCOPES) app.use(path, requireSession(scope, refuse) as MiddlewareHandler<UiEnv>);
  app.route("/", overviewRoutes(context));
  app.route("/", hostRoutes(context));
  app.route("/", accountRoutes(context));
  app.route("/", pluginViewRoutes(context, refuse));
  app.route("/", pluginRoutes(context));
  app.route("/", runRoutes(context));
  app.route("/", ruleRoutes(context));
  app.route("/", jobRoutes(context, refuse));
  app.route("/", eventRoutes(context));
  return app;
}
