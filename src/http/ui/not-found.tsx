import type { Context } from "hono";
import { Notice } from "./components.tsx";
import { BarePage } from "./layout.tsx";

/** The page for an address the UI does not know (no session is looked up for it). */
export function notFoundPage(c: Context) {
  return c.html(
    <BarePage title="Not found">
      <h1>Not found</h1>
      <Notice kind="error">There is no page at {c.req.path}.</Notice>
      <p>
        <a href="/">Go to the overview</a>
      </p>
    </BarePage>,
    404,
  );
}
