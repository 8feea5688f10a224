import { Hono } from "hono";
import { SyncerError } from "../../../core/errors.ts";
import { eventFilter } from "../../../events/query.ts";
import { subscriberJson } from "../../../events/subscribers.ts";
import { Badge, Notice, Table, Time } from "../components.tsx";
import type { UiContext } from "../context.tsx";
import { Page } from "../layout.tsx";
import type { UiEnv } from "../session.ts";

const EVENTS_SHOWN = 100;
/** An event's data is shown up to this many characters; the API and `syncer events` give all of it. */
const DATA_SHOWN = 300;

/**
 * The event log's newest events (filtered by ?type=, as the API's) and the subscribers: each one's state,
 * how far behind it is, and its last error, so a dead letter is seen where people look.
 */
export function eventRoutes({ services }: UiContext): Hono<UiEnv> {
  const app = new Hono<UiEnv>();
  app.get("/events", (c) => {
    const session = c.get("session")!;
    const { events, subscribers } = services.database;
    const type = c.req.query("type") || undefined;
    let rows: ReturnType<typeof events.list> = [];
    let problem: string | undefined;
    try {
      rows = events.list({ ...eventFilter({ type, limit: EVENTS_SHOWN }, Date.now()), newest: true }).reverse();
    } catch (error) {
      if (!(error instanceof SyncerError)) throw error;
      problem = error.message;
    }
    const latest = events.latestId();
    const listeners = subscribers.list().map((row) => subscriberJson(row, latest));
    return c.html(
      <Page title="Events" section="events" session={session}>
        <h1>Events</h1>
        <p class="lead">What happened, newest first: runs, jobs, hosts, config reloads and plugins' events; <code>syncer events tail</code> follows them.</p>
        <h2>Subscribers</h2>
        {listeners.length === 0 ? (
          <p class="muted">No subscriber yet: plugins with subscriptions and [[webhooks]] in the config are recorded when the daemon starts delivering to them.</p>
        ) : (
          <Table caption="Subscribers" head={["subscriber", "state", "behind", "delivered", "last delivered", "failures", "last error"]} numeric={[2, 3, 5]}>
            {listeners.map((row) => (
              <tr>
                <td>{row.name}</td>
                <td>{row.state === "active" ? <Badge kind="ok">active</Badge> : <Badge kind="failed">dead letter</Badge>}</td>
                <td class="num">{row.behind.toLocaleString("en")}</td>
                <td class="num">{row.delivered.toLocaleString("en")}</td>
                <td>{row.last_delivered_at ? <Time at={Date.parse(row.last_delivered_at)} /> : <span class="muted">never</span>}</td>
                <td class="num">{row.failures}</td>
                <td>{row.last_error ? `${row.last_error.kind}: ${row.last_error.message}` : <span class="muted">—</span>}</td>
              </tr>
            ))}
          </Table>
        )}
        <h2>Newest events</h2>
        <form method="get" action="/events">
          <label>
            type <input name="type" value={type ?? ""} placeholder="run.failed, host.*" />
          </label>{" "}
          <button type="submit">Filter</button>
        </form>
        {problem ? <Notice kind="error">{problem}</Notice> : null}
        {rows.length === 0 ? (
          <p class="muted">No events{type ? ` of ${type}` : ""}.</p>
        ) : (
          <Table caption="Events" head={["event", "at", "type", "account", "run", "data"]}>
            {rows.map((event) => {
              const data = JSON.stringify(event.data) ?? "null";
              return (
                <tr>
                  <td>#{event.id}</td>
                  <td>
                    <Time at={event.at} />
                  </td>
                  <td>{event.type}</td>
                  <td>{event.account ?? <span class="muted">—</span>}</td>
                  <td>{event.runId === null ? <span class="muted">—</span> : <a href={`/runs/${event.runId}`}>#{event.runId}</a>}</td>
                  <td>
                    <code>{data.length > DATA_SHOWN ? `${data.slice(0, DATA_SHOWN)}…` : data}</code>
                  </td>
                </tr>
              );
            })}
          </Table>
        )}
      </Page>,
    );
  });
  return app;
}
