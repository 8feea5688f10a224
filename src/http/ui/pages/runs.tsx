import { Hono } from "hono";
import { COUNT_NAMES, RUN_STATUSES, type RunRecord, type RunStatus } from "../../../db/runs.ts";
import { Duration, HostLink, KeyValues, Notice, Status, Table, Time, valueText } from "../components.tsx";
import { errorPage, type UiContext } from "../context.tsx";
import { Page } from "../layout.tsx";
import type { UiEnv } from "../session.ts";

const PAGE_SIZE = 50;
/** A run's changes shown on its page; the change log of each host holds the rest. */
const CHANGES_SHOWN = 500;
const CREATED_SHOWN = 200;

/** Runs as table rows: id, what, status, counts, when. */
export function RunRows({ runs }: { runs: RunRecord[] }) {
  return (
    <Table caption="Runs" head={["run", "plugin command", "account", "trigger", "status", ...COUNT_NAMES, "started", "took"]} numeric={COUNT_NAMES.map((_, index) => index + 5)}>
      {runs.map((run) => (
        <tr>
          <td>
            <a href={`/runs/${run.id}`}>#{run.id}</a>
          </td>
          <td>
            {run.plugin} {run.command}
          </td>
          <td>{run.account ?? <span class="muted">—</span>}</td>
          <td>{run.trigger}</td>
          <td>
            <Status status={run.status} />
          </td>
          {COUNT_NAMES.map((name) => (
            <td class="num">{run[name]}</td>
          ))}
          <td>
            <Time at={run.startedAt} />
          </td>
          <td>
            <Duration ms={run.durationMs} />
          </td>
        </tr>
      ))}
    </Table>
  );
}

/** A detail line as the run log keeps it: {level, message}, or anything older. */
function detailOf(detail: unknown): { level: string; message: string } {
  if (detail && typeof detail === "object" && "message" in detail) {
    const { level, message } = detail as { level?: unknown; message?: unknown };
    return { level: typeof level === "string" ? level : "info", message: valueText(message) };
  }
  return { level: "info", message: valueText(detail) };
}

/** The run log (filtered, paged back by id) and one run with its log lines and what it changed per host. */
export function runRoutes({ services }: UiContext): Hono<UiEnv> {
  const app = new Hono<UiEnv>();
  const runs = services.database.runs;

  app.get("/runs", (c) => {
    const session = c.get("session")!;
    const plugin = c.req.query("plugin") || undefined;
    const account = c.req.query("account") || undefined;
    const statusText = c.req.query("status") || undefined;
    const status = (RUN_STATUSES as readonly string[]).includes(statusText ?? "") ? (statusText as RunStatus) : undefined;
    const beforeText = c.req.query("before");
    const before = beforeText && /^[0-9]{1,15}$/.test(beforeText) ? Number(beforeText) : undefined;
    const rows = runs.list({ plugin, account, status, before, limit: PAGE_SIZE + 1 });
    const page = rows.slice(0, PAGE_SIZE);
    const next = rows.length > PAGE_SIZE ? page[page.length - 1]!.id : undefined;
    const query = (extra: { before?: number }) => {
      const params: [string, string][] = [];
      for (const [key, value] of Object.entries({ plugin, account, status, ...extra })) if (value !== undefined) params.push([key, String(value)]);
      return `/runs?${new URLSearchParams(params)}`;
    };
    const plugins = [...services.setup().registry.plugins.keys()];
    return c.html(
      <Page title="Runs" section="runs" session={session}>
        <h1>Runs</h1>
        <form class="filters" method="get" action="/runs">
          <div>
            <label for="plugin">Plugin</label>
            <select id="plugin" name="plugin">
              <option value="">any</option>
              {plugins.map((ident) => (
                <option value={ident} selected={ident === plugin}>
                  {ident}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="account">Account</label>
            <input type="text" id="account" name="account" value={account ?? ""} />
          </div>
          <div>
            <label for="status">Status</label>
            <select id="status" name="status">
              <option value="">any</option>
              {RUN_STATUSES.map((name) => (
                <option value={name} selected={name === status}>
                  {name}
                </option>
              ))}
            </select>
          </div>
          <button type="submit">Filter</button>
        </form>
        {page.length === 0 ? <p class="muted">No runs{plugin || account || status ? " match these filters" : " yet"}.</p> : <RunRows runs={page} />}
        <nav class="pager" aria-label="Pages of runs">
          {before !== undefined && <a href={query({})}>Newest</a>}
          {next !== undefined && <a href={query({ before: next })}>Older runs</a>}
        </nav>
      </Page>,
    );
  });

  app.get("/runs/:id", (c) => {
    const session = c.get("session")!;
    const idText = c.req.param("id");
    const run = /^[0-9]{1,15}$/.test(idText) ? runs.get(Number(idText)) : undefined;
    if (!run) return errorPage(c, 404, "No such run", `There is no run #${idText}.`, "runs");
    const lines = run.details.map(detailOf);
    const changes = services.database.hosts.runChanges(run.id, CHANGES_SHOWN + 1);
    const created = run.created > 0 ? services.database.hosts.createdBy(run.id, CREATED_SHOWN) : [];
    return c.html(
      <Page title={`Run #${run.id}`} section="runs" session={session}>
        <div id="run" {...(run.status === "running" ? { "hx-get": `/runs/${run.id}`, "hx-trigger": "every 2s", "hx-select": "#run", "hx-target": "#run", "hx-swap": "outerHTML" } : {})}>
          <h1>
            Run #{run.id}: {run.plugin} {run.command} <Status status={run.status} />
          </h1>
          {run.errorKind && (
            <Notice kind="error">
              {run.errorKind}: {run.errorMessage ?? ""}
            </Notice>
          )}
          <div class="grid">
            <section class="panel">
              <h2>Run</h2>
              <KeyValues
                entries={[
                  ["account", run.account ?? "—"],
                  ["trigger", run.trigger],
                  ["started", <Time at={run.startedAt} />],
                  ["finished", <Time at={run.finishedAt} />],
                  ["took", <Duration ms={run.durationMs} />],
                ]}
              />
            </section>
            <section class="panel">
              <h2>Counts</h2>
              <KeyValues entries={COUNT_NAMES.map((name) => [name, String(run[name])])} />
            </section>
          </div>
          <h2>Log</h2>
          {lines.length === 0 ? (
            <p class="muted">No log lines.</p>
          ) : (
            <pre class="log">
              {lines.map((line) => (
                <div class={`log-line ${line.level}`}>
                  [{line.level}] {line.message}
                </div>
              ))}
            </pre>
          )}
          {created.length > 0 && (
            <>
              <h2>Hosts created</h2>
              <ul class="hosts-created">
                {created.map((hostname) => (
                  <li>
                    <HostLink hostname={hostname} />
                  </li>
                ))}
              </ul>
              {run.created > created.length && (
                <p class="muted">
                  The newest {created.length} of the {run.created.toLocaleString("en")} hosts the run created are shown{created.length < CREATED_SHOWN ? "; the others have been deleted since" : ""}.
                </p>
              )}
            </>
          )}
          <h2>Changes per host</h2>
          {changes.length === 0 ? (
            <p class="muted">This run changed no existing host's labels, inventory or owner.</p>
          ) : (
            <>
              <Table caption="What the run changed per host" head={["host", "field", "before", "after"]}>
                {changes.slice(0, CHANGES_SHOWN).flatMap((change) =>
                  Object.entries(change.changes).map(([field, { old, new: now }]) => (
                    <tr>
                      <td>
                        <HostLink hostname={change.hostname} />
                      </td>
                      <td>{field}</td>
                      <td class="mono">{valueText(old)}</td>
                      <td class="mono">{valueText(now)}</td>
                    </tr>
                  )),
                )}
              </Table>
              {changes.length > CHANGES_SHOWN && <p class="muted">The first {CHANGES_SHOWN} changed hosts are shown; each host's page holds its own change log.</p>}
            </>
          )}
        </div>
      </Page>,
    );
  });
  return app;
}
