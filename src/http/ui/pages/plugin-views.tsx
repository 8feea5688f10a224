import { Hono } from "hono";
import * as v from "valibot";
import { ViewAnswerSchema, type ViewBlockData, type ViewValueData } from "../../../plugins/abi.ts";
import { Badge, KeyValues, Notice, Table } from "../components.tsx";
import { errorPage, type UiContext } from "../context.tsx";
import { Page } from "../layout.tsx";
import type { Refusal, UiEnv } from "../session.ts";
import { scopeAllows } from "../../../auth/tokens.ts";

const LEVEL_KIND = { ok: "ok", info: "info", warn: "warn", error: "error" } as const;

/** One value of a view: text (escaped by JSX), a badge, or a link to a host's page the daemon builds. */
function ViewValue({ value }: { value: ViewValueData }) {
  if (value === null) return <span class="muted">—</span>;
  if (typeof value !== "object") return <>{String(value)}</>;
  const text = value.host !== undefined ? <a href={`/hosts/${encodeURIComponent(value.host)}`}>{value.text}</a> : value.text;
  return value.status ? <Badge kind={LEVEL_KIND[value.status]}>{text}</Badge> : <>{text}</>;
}

/** A block of a view. Links stay within the plugin's views: the daemon makes the address from a view name and query. */
function ViewBlock({ block, ident }: { block: ViewBlockData; ident: string }) {
  switch (block.type) {
    case "heading":
      return <h2>{block.text}</h2>;
    case "text":
      return <p>{block.text}</p>;
    case "notice":
      return <Notice kind={block.level}>{block.text}</Notice>;
    case "keyvalue":
      return (
        <section class="panel">
          {block.title !== undefined && <h3>{block.title}</h3>}
          <KeyValues entries={block.items.map((item) => [item.key, <ViewValue value={item.value} />])} />
        </section>
      );
    case "table":
      return (
        <section>
          {block.title !== undefined && <h3>{block.title}</h3>}
          <Table caption={block.title ?? "Table"} head={block.columns}>
            {block.rows.map((row) => (
              <tr>
                {row.map((cell) => (
                  <td>
                    <ViewValue value={cell} />
                  </td>
                ))}
              </tr>
            ))}
          </Table>
        </section>
      );
    case "link": {
      const query = new URLSearchParams(block.query ?? {}).toString();
      return (
        <p>
          <a href={`/plugins/${ident}/views/${block.view}${query ? `?${query}` : ""}`}>{block.text}</a>
        </p>
      );
    }
  }
}

/**
 * Plugin views (CMDBSyncer's admin views): GET /plugins/<ident>/views/<name> calls the export the manifest
 * names with {view, query} and renders its answer, which must be a view (ViewAnswerSchema): headings, text,
 * notices, key/value panels, tables and links to the plugin's other views. Everything it says is shown as
 * text; an answer that is not a view, or a failed call, is an error page saying why.
 */
export function pluginViewRoutes({ services }: UiContext, refuse: Refusal): Hono<UiEnv> {
  const app = new Hono<UiEnv>();
  app.get("/plugins/:ident/views/:view", async (c) => {
    const session = c.get("session")!;
    const ident = c.req.param("ident");
    const plugin = services.setup().registry.plugins.get(ident);
    const view = plugin?.manifest.views.find((candidate) => candidate.name === c.req.param("view"));
    if (!plugin || !view) return errorPage(c, 404, "No such view", `Plugin '${ident}' has no view '${c.req.param("view")}'.`, "plugins");
    // The view's own scope, as a route's.
    if (!scopeAllows(session.scopes, view.scope)) return refuse(c, session, view.scope);
    if (!plugin.manifest.enabled) return errorPage(c, 409, "Plugin disabled", `Plugin ${ident} is disabled.`, "plugins");
    const query: Record<string, string> = {};
    for (const [key, value] of Object.entries(c.req.query())) query[key] = value;
    const result = await services.runtime().call(plugin, view.export, { input: { view: view.name, query }, pluginOptions: services.setup().pluginOptions.get(ident) });
    for (const line of result.logs) services.log.debug(`${ident}: ${line.message}`, { view: view.name });
    if (!result.ok) {
      const status = result.error.kind === "timeout" ? 504 : result.error.kind === "overloaded" ? 503 : 502;
      return errorPage(c, status, "The view failed", `Plugin ${ident} view ${view.name} failed: ${result.error.kind}: ${result.error.message}`, "plugins");
    }
    const parsed = v.safeParse(ViewAnswerSchema, result.value);
    if (!parsed.success) {
      const [issue] = parsed.issues;
      const path = v.getDotPath(issue);
      return errorPage(c, 502, "The view answered something else", `Plugin ${ident} view ${view.name} answered something that is not a view: ${path ? `${path}: ` : ""}${issue.message}.`, "plugins");
    }
    const answer = parsed.output;
    return c.html(
      <Page title={answer.title ?? view.title} section="plugins" session={session}>
        <p class="muted">
          <a href={`/plugins/${ident}`}>{plugin.manifest.name}</a> · view
        </p>
        <h1>{answer.title ?? view.title}</h1>
        {answer.blocks.map((block) => (
          <ViewBlock block={block} ident={ident} />
        ))}
      </Page>,
    );
  });
  return app;
}
