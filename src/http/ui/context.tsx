import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ApiServices } from "../../app/services.ts";
import { Notice } from "./components.tsx";
import { BarePage, Page, type Section } from "./layout.tsx";
import type { UiAuth, UiEnv } from "./session.ts";

/** What every page of the UI works with: the daemon's services (read through their getters on every request) and the login machinery. */
export interface UiContext {
  services: ApiServices;
  auth: UiAuth;
}

/** An error as a page: with the navigation for a logged-in user, bare otherwise. The message is text, escaped. */
export function errorPage(c: Context<UiEnv>, status: ContentfulStatusCode, title: string, message: string, section?: Section) {
  const session = c.get("session");
  const body = (
    <>
      <h1>{title}</h1>
      <Notice kind="error">{message}</Notice>
      <p>
        <a href="/">Back to the overview</a>
      </p>
    </>
  );
  return c.html(
    session ? (
      <Page title={title} section={section} session={session}>
        {body}
      </Page>
    ) : (
      <BarePage title={title}>{body}</BarePage>
    ),
    status,
  );
}
