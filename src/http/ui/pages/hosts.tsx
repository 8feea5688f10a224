import { Hono } from "hono";
import { html } from "hono/html";
import type { Child } from "hono/jsx";
import { LIFECYCLE_STATES, MANUAL_OWNER, type LifecycleState } from "../../../core/hosts.ts";
import { asSyncerError } from "../../../core/errors.ts";
import type { HostRow } from "../../../db/hosts.ts";
import type { Explanation } from "../../../rules/evaluate.ts";
import { explainHost, rulesViewOf } from "../../../runs/rules-report.ts";
import { Badge, KeyValues, Notice, Table, Time, valueText } from "../components.tsx";
import { errorPage, type UiContext } from "../context.tsx";
import { Page } from "../layout.tsx";
import { TargetExplanation } from "../rules-explanation.tsx";
import type { UiEnv } from "../session.ts";

const PAGE_SIZE = 50;
const CHANGES_SHOWN = 50;

/** The hosts page's filters as they arrive in the query; anything malformed is dropped with a note, never an error. */
interface Filters {
  search?: string;
  account?: string;
  label?: string;
  lifecycle?: LifecycleState;
  after?: string;
}

function parseLabel(text: string | undefined): Record<string, string> | undefined | "invalid" {
  if (!text) return undefined;
  const at = text.indexOf("=");
  if (at <= 0) return "invalid";
  return { [text.slice(0, at).trim()]: text.slice(at + 1).trim() };
}

const hrefWith = (filters: Filters, extra: Partial<Filters>) => {
  const entries = Object.entries({ ...filters, ...extra }).filter((entry): entry is [string, string] => typeof entry[1] === "string" && entry[1] !== "");
  return entries.length ? `/hosts?${new URLSearchParams(entries)}` : "/hosts";
};

/** Where a host is in its life, when not simply active; deleted hosts say so. */
const HostState = ({ host }: { host: HostRow }) =>
  host.deletedAt ? <Badge kind="failed">deleted</Badge> : host.lifecycle === "active" ? <Badge kind="ok">active</Badge> : <Badge kind="warn">{host.lifecycle}</Badge>;

/**
 * The rows of the hosts table, from a template rather than JSX: the page's hottest part (50 rows of a
 * dozen elements), which hono/html's template makes ten times faster. It escapes every value it is given,
 * as JSX does.
 */
function hostRows(hosts: HostRow[]) {
  return hosts.map((host) => {
    const state = host.deletedAt ? html`<span class="badge failed">deleted</span>` : html`<span class="badge ${host.lifecycle === "active" ? "ok" : "warn"}">${host.lifecycle}</span>`;
    const labels = Object.entries(host.labels).map(([key, value]) => html`<span class="label">${key}=${value}</span>`);
    const changed = host.lastChanged.toISOString();
    return html`<tr><td><a href="/hosts/${encodeURIComponent(host.hostname)}">${host.hostname}</a></td><td>${host.account ?? "—"}</td><td>${state}</td><td><span class="labels">${labels}</span></td><td><time datetime="${changed}" title="${changed}">${changed.slice(0, 19).replace("T", " ")}</time></td></tr>`;
  });
}

/** The inventory's flat keys (`<namespace>__<field>`) grouped by namespace. */
function byNamespace(inventory: Record<string, unknown>): [string, [string, unknown][]][] {
  const groups = new Map<string, [string, unknown][]>();
  for (const [key, value] of Object.entries(inventory)) {
    const at = key.indexOf("__");
    const namespace = at > 0 ? key.slice(0, at) : "(none)";
    const field = at > 0 ? key.slice(at + 2) : key;
    if (!groups.has(namespace)) groups.set(namespace, []);
    groups.get(namespace)!.push([field, value]);
  }
  return [...groups].sort(([a], [b]) => a.localeCompare(b));
}

/** Hosts: search, filters by account, label and lifecycle, keyset paging (hosts repository); one host with everything known about it. */
export function hostRoutes({ services }: UiContext): Hono<UiEnv> {
  const app = new Hono<UiEnv>();

  app.get("/hosts", (c) => {
    const session = c.get("session")!;
    const query = c.req.query();
    const lifecycle = (LIFECYCLE_STATES as readonly string[]).includes(query.lifecycle ?? "") ? (query.lifecycle as LifecycleState) : undefined;
    const filters: Filters = { search: query.search?.trim() || undefined, account: query.account || undefined, label: query.label?.trim() || undefined, lifecycle, after: query.after || undefined };
    const labels = parseLabel(filters.label);
    const page = labels === "invalid" ? { hosts: [], next: null } : services.database.hosts.list({ search: filters.search, account: filters.account, labels, lifecycle, after: filters.after, limit: PAGE_SIZE });
    // A filter that matches few hosts of a large inventory answers a short page and where it stopped looking.
    const partial = page.next !== null && page.hosts.length < PAGE_SIZE;
    const accounts = [...new Set([...services.setup().accounts.keys(), MANUAL_OWNER])].sort();
    const results = (
      <div id="results" aria-live="polite">
        {labels === "invalid" && <Notice kind="error">A label filter is written key=value, e.g. site=berlin.</Notice>}
        {page.hosts.length === 0 && !partial ? (
          <p class="muted">No hosts match{filters.after ? " after this point" : ""}.</p>
        ) : (
          page.hosts.length > 0 && (
            <Table caption="Hosts" head={["host", "account", "state", "labels", "last changed"]}>
              {hostRows(page.hosts)}
            </Table>
          )
        )}
        <nav class="pager" aria-label="Pages of hosts">
          {filters.after && <a href={hrefWith(filters, { after: undefined })}>First page</a>}
          {partial && (
            <span>
              {page.hosts.length === 0 ? "No match yet" : `${page.hosts.length} found`}; looked as far as <code>{page.next}</code>.
            </span>
          )}
          {page.next !== null && <a href={hrefWith(filters, { after: page.next })}>{partial ? "Search further" : "Next page"}</a>}
        </nav>
      </div>
    );
    // htmx asks for the results alone as the filters change.
    if (c.req.header("hx-request") && c.req.header("hx-target") === "results") return c.html(results);
    return c.html(
      <Page title="Hosts" section="hosts" session={session}>
        <h1>Hosts</h1>
        <form class="filters" method="get" action="/hosts" role="search" hx-get="/hosts" hx-target="#results" hx-swap="outerHTML" hx-push-url="true" hx-trigger="input changed delay:300ms from:#search, input changed delay:500ms from:#label, change from:#account, change from:#lifecycle, submit">
          <div>
            <label for="search">Host name contains</label>
            <input type="search" id="search" name="search" value={filters.search ?? ""} autocomplete="off" />
          </div>
          <div>
            <label for="account">Account</label>
            <select id="account" name="account">
              <option value="">any</option>
              {accounts.map((name) => (
                <option value={name} selected={name === filters.account}>
                  {name}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="label">Label</label>
            <input type="text" id="label" name="label" placeholder="key=value" value={filters.label ?? ""} />
          </div>
          <div>
            <label for="lifecycle">Lifecycle</label>
            <select id="lifecycle" name="lifecycle">
              <option value="">any</option>
              {LIFECYCLE_STATES.map((state) => (
                <option value={state} selected={state === lifecycle}>
                  {state}
                </option>
              ))}
            </select>
          </div>
          <button type="submit">Search</button>
        </form>
        {results}
      </Page>,
    );
  });

  /** Why the host gets what it gets per target; a failure (a plugin filter that fails, say) is shown, not thrown. */
  const rulesFor = async (host: HostRow): Promise<{ explanations: Explanation[] } | { failure: string }> => {
    try {
      return { explanations: await explainHost(services.setup(), services.runtime(), rulesViewOf(host), undefined) };
    } catch (error) {
      return { failure: asSyncerError(error).message };
    }
  };

  app.get("/hosts/:hostname", async (c) => {
    const session = c.get("session")!;
    const hostname = c.req.param("hostname");
    const host = services.database.hosts.get(hostname);
    if (!host) return errorPage(c, 404, "No such host", `There is no host ${JSON.stringify(hostname)}.`, "hosts");
    const changes = services.database.hosts.changes(host.id, CHANGES_SHOWN);
    const namespaces = byNamespace(host.inventory);
    const rules = await rulesFor(host);
    return c.html(
      <Page title={host.hostname} section="hosts" session={session}>
        <h1>
          {host.hostname} <HostState host={host} />
        </h1>
        <div class="grid">
          <section class="panel">
            <h2>Host</h2>
            <KeyValues
              entries={[
                ["owner", host.account ? host.account : "—"],
                ["lifecycle", host.lifecycle],
                ["first seen", <Time at={host.firstSeen} />],
                ["last seen", <Time at={host.lastSeen} />],
                ["last changed", <Time at={host.lastChanged} />],
                ["created by", host.createdRun === null ? "—" : <a href={`/runs/${host.createdRun}`}>run #{host.createdRun}</a>],
                ...(host.deletedAt ? ([["deleted", <><Time at={host.deletedAt} /> {host.deleteReason ?? ""}</>]] as [string, Child][]) : []),
              ]}
            />
          </section>
          <section class="panel">
            <h2>Labels</h2>
            {Object.keys(host.labels).length === 0 ? (
              <p class="muted">No labels.</p>
            ) : (
              <KeyValues entries={Object.entries(host.labels).map(([key, value]) => [key, <a href={hrefWith({}, { label: `${key}=${value}` })}>{value}</a>])} />
            )}
          </section>
        </div>
        <h2>Inventory</h2>
        {namespaces.length === 0 ? (
          <p class="muted">No inventory.</p>
        ) : (
          <div class="grid">
            {namespaces.map(([namespace, fields]) => (
              <section class="panel">
                <h3>{namespace}</h3>
                <KeyValues entries={fields.map(([field, value]) => [field, <span class="mono">{valueText(value)}</span>])} />
              </section>
            ))}
          </div>
        )}
        <h2>Rules per target</h2>
        {"failure" in rules ? (
          <Notice kind="error">The rules could not be explained: {rules.failure}</Notice>
        ) : services.setup().rules.rules.length === 0 ? (
          <p class="muted">No rules in the config: every target receives the host's labels and inventory as they are.</p>
        ) : (
          rules.explanations.map((explanation) => <TargetExplanation explanation={explanation} />)
        )}
        <h2>Change history</h2>
        {changes.length === 0 ? (
          <p class="muted">No changes logged.</p>
        ) : (
          <Table caption="Change history, newest first" head={["when", "run", "field", "before", "after"]}>
            {changes.flatMap((change) =>
              Object.entries(change.changes).map(([field, { old, new: now }]) => (
                <tr>
                  <td>
                    <Time at={change.at} />
                  </td>
                  <td>{change.runId === null ? <span class="muted">by hand</span> : <a href={`/runs/${change.runId}`}>#{change.runId}</a>}</td>
                  <td>{field}</td>
                  <td class="mono">{valueText(old)}</td>
                  <td class="mono">{valueText(now)}</td>
                </tr>
              )),
            )}
          </Table>
        )}
      </Page>,
    );
  });
  return app;
}
