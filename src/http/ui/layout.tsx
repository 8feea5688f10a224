import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import type { Session } from "../../auth/sessions.ts";
import { scopeAllows } from "../../auth/tokens.ts";
import { assetPath } from "./assets.ts";

/** The sections of the navigation; `scope` hides a section from users who may not open it. */
const SECTIONS = [
  { id: "overview", href: "/", label: "Overview", scope: "hosts:read" },
  { id: "hosts", href: "/hosts", label: "Hosts", scope: "hosts:read" },
  { id: "runs", href: "/runs", label: "Runs", scope: "runs:read" },
  { id: "jobs", href: "/jobs", label: "Jobs", scope: "runs:read" },
  { id: "events", href: "/events", label: "Events", scope: "events:read" },
  { id: "rules", href: "/rules", label: "Rules", scope: "hosts:read" },
  { id: "plugins", href: "/plugins", label: "Plugins", scope: "hosts:read" },
  { id: "accounts", href: "/accounts", label: "Accounts", scope: "admin" },
] as const;

export type Section = (typeof SECTIONS)[number]["id"];

/**
 * htmx's settings: no inline styles or eval (the Content-Security-Policy allows neither), no scripts from
 * swapped content, requests to this origin only, and no copies of pages in the browser's storage.
 */
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
  selfRequestsOnly: true,
  historyCacheSize: 0,
  refreshOnHistoryMiss: true,
});

/** The hidden field every form of a session carries (checked by verifyForm). */
export const CsrfField = ({ session }: { session: Session }) => <input type="hidden" name="_csrf" value={session.csrfToken} />;

function Document({ title, children }: { title: string; children: Child }) {
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="htmx-config" content={HTMX_CONFIG} />
        <title>{`${title} · Syncer`}</title>
        <link rel="icon" href={assetPath("favicon.svg")} type="image/svg+xml" />
        <link rel="stylesheet" href={assetPath("style.css")} />
        <script src={assetPath("htmx.min.js")} defer></script>
      </head>
        {children}
      </html>
    </>
  );
}

/** A page of a logged-in user: navigation (what the role may open), who is logged in, logout, the content. */
export function Page({ title, section, session, children }: { title: string; section?: Section; session: Session; children: Child }) {
  return (
    <Document title={title}>
      <body hx-boost="true">
        <a class="skip" href="#content">
          Skip to content
        </a>
        <header class="top">
          <a class="brand" href="/">
            Syncer
          </a>
          <nav aria-label="Main">
            <ul>
              {SECTIONS.filter((entry) => scopeAllows(session.scopes, entry.scope)).map((entry) => (
                <li>
                  <a href={entry.href} aria-current={entry.id === section ? "page" : undefined}>
                    {entry.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <div class="who">
            <span>
              {session.user.name} ({session.user.role})
            </span>
            <form method="post" action="/logout" hx-boost="false">
              <CsrfField session={session} />
              <button type="submit">Log out</button>
            </form>
          </div>
        </header>
        <main id="content">{children}</main>
      </body>
    </Document>
  );
}

/** A page without the navigation: the login form, and errors met before a session is known. */
export function BarePage({ title, children }: { title: string; children: Child }) {
  return (
    <Document title={title}>
      <body>
        <main id="content">{children}</main>
      </body>
    </Document>
  );
}
