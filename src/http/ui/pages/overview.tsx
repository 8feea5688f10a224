import { Hono } from "hono";
import { LIFECYCLE_STATES } from "../../../core/hosts.ts";
import { Badge, Status, Table, Time } from "../components.tsx";
import type { UiContext } from "../context.tsx";
import { Page } from "../layout.tsx";
import type { UiEnv } from "../session.ts";
import { RunRows } from "./runs.tsx";

/** The overview: hosts per account and lifecycle, the last runs, failing jobs, and how each plugin is doing. */
export function overviewRoutes({ services }: UiContext): Hono<UiEnv> {
  const app = new Hono<UiEnv>();
  app.get("/", (c) => {
    const session = c.get("session")!;
    const { database, jobs } = services;
    const { registry } = services.setup();

    // host_counts: a few rows, however large the inventory.
    const counts = database.stats.liveHosts();
    const states = LIFECYCLE_STATES.filter((state) => counts.some((row) => row.lifecycle === state));
    const accounts = [...new Set(counts.map((row) => row.account))].sort((a, b) => (a ?? "").localeCompare(b ?? ""));
    const cell = (account: string | null, state: string) => counts.find((row) => row.account === account && row.lifecycle === state)?.hosts ?? 0;
    const total = counts.reduce((sum, row) => sum + row.hosts, 0);

    const runs = database.runs.list({ limit: 10 });
    const jobList = jobs.list();
    const failing = jobList.filter((job) => job.lastRun?.status === "failed");
    const pools = services.runtime().stats();
    const plugins = [...registry.plugins.values()].map((plugin) => ({ plugin, last: database.runs.list({ plugin: plugin.ident, limit: 1 })[0], pool: pools[plugin.ident] }));

    return c.html(
      <Page title="Overview" section="overview" session={session}>
        <h1>Overview</h1>
        <div class="grid">
          <section class="panel" aria-labelledby="hosts-heading">
            <h2 id="hosts-heading">Hosts</h2>
            <p>
              <strong>{total.toLocaleString("en")}</strong> live hosts · <a href="/hosts">browse</a>
            </p>
            {accounts.length > 0 && (
              <Table caption="Live hosts per account and lifecycle" head={["account", ...states, "total"]} numeric={[...states.map((_, index) => index + 1), states.length + 1]}>
                {accounts.map((account) => (
                  <tr>
                    <td>{account === null ? <span class="muted">no owner</span> : <a href={`/hosts?account=${encodeURIComponent(account)}`}>{account}</a>}</td>
                    {states.map((state) => (
                      <td class="num">{cell(account, state).toLocaleString("en")}</td>
                    ))}
                    <td class="num">{states.reduce((sum, state) => sum + cell(account, state), 0).toLocaleString("en")}</td>
                  </tr>
                ))}
              </Table>
            )}
          </section>
          <section class="panel" aria-labelledby="jobs-heading">
            <h2 id="jobs-heading">Jobs</h2>
            {jobList.length === 0 ? (
              <p class="muted">No jobs in the config.</p>
            ) : failing.length === 0 ? (
              <p>
                <Badge kind="ok">all well</Badge> none of the {jobList.length} jobs failed its last run · <a href="/jobs">jobs</a>
              </p>
            ) : (
              <Table caption="Jobs whose last run failed" head={["job", "failed at", "error"]}>
                {failing.map((job) => (
                  <tr>
                    <td>
                      <a href={`/jobs/${encodeURIComponent(job.name)}`}>{job.name}</a>
                    </td>
                    <td>
                      <Time at={job.lastRun!.startedAt} />
                    </td>
                    <td>{job.lastRun!.error?.message ?? ""}</td>
                  </tr>
                ))}
              </Table>
            )}
          </section>
          <section class="panel wide" aria-labelledby="plugins-heading">
            <h2 id="plugins-heading">Plugins</h2>
            <Table caption="Plugin health" head={["plugin", "state", "last run", "sandboxes"]}>
              {plugins.map(({ plugin, last, pool }) => (
                <tr>
                  <td>
                    <a href={`/plugins/${plugin.ident}`}>{plugin.ident}</a>
                  </td>
                  <td>{plugin.manifest.enabled ? <Badge kind="ok">enabled</Badge> : <Badge kind="neutral">disabled</Badge>}</td>
                  <td>
                    {last ? (
                      <>
                        <Status status={last.status} /> <a href={`/runs/${last.id}`}>#{last.id}</a> {last.command}
                      </>
                    ) : (
                      <span class="muted">never run</span>
                    )}
                  </td>
                  <td>{pool ? `${pool.processes - pool.idle} busy, ${pool.idle} idle${pool.queued ? `, ${pool.queued} waiting` : ""}` : <span class="muted">none started</span>}</td>
                </tr>
              ))}
            </Table>
            {registry.refused.length + registry.errors.length > 0 && (
              <>
                <h3>Refused</h3>
                <ul>
                  {[...registry.refused, ...registry.errors].map((problem) => (
                    <li>
                      <code>{problem.file}</code>: {problem.message}
                    </li>
                  ))}
                </ul>
              </>
            )}
          </section>
        </div>
        <h2>Last runs</h2>
        {runs.length === 0 ? <p class="muted">No runs yet.</p> : <RunRows runs={runs} />}
      </Page>,
    );
  });
  return app;
}
