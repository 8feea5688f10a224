import { Hono, type Context } from "hono";
import { asSyncerError } from "../../../core/errors.ts";
import type { JobRunReport } from "../../../db/job-runs.ts";
import type { JobInfo } from "../../../scheduler/scheduler.ts";
import { scopeAllows } from "../../../auth/tokens.ts";
import type { Session } from "../../../auth/sessions.ts";
import { statusOf } from "../../errors.ts";
import { Badge, Duration, KeyValues, Notice, Status, Table, Time } from "../components.tsx";
import { errorPage, type UiContext } from "../context.tsx";
import { CsrfField, Page } from "../layout.tsx";
import { requireSession, verifyForm, type Refusal, type UiEnv } from "../session.ts";

const HISTORY = 50;

/** The "Run now" button: for users whose role may run jobs (operators and admins); a form, so it works without script too. */
function RunNow({ job, session }: { job: JobInfo; session: Session }) {
  if (!scopeAllows(session.scopes, "runs:trigger")) return null;
  if (!job.enabled) return <span class="muted">disabled</span>;
  return (
    <form method="post" action={`/jobs/${encodeURIComponent(job.name)}/run`}>
      <CsrfField session={session} />
      <button type="submit" disabled={job.running} aria-label={`${job.running ? "Running…" : "Run now"}: ${job.name}`}>
        {job.running ? "Running…" : "Run now"}
      </button>
    </form>
  );
}

const LastRun = ({ run }: { run: JobRunReport | undefined }) =>
  run ? (
    <>
      <Status status={run.status} /> <Time at={run.startedAt} />
    </>
  ) : (
    <span class="muted">never</span>
  );

/** Jobs: schedule, next and last run, "Run now" for operators; a job's history with each step's run. */
export function jobRoutes({ services }: UiContext, refuse: Refusal): Hono<UiEnv> {
  const app = new Hono<UiEnv>();
  const { jobs } = services;

  app.get("/jobs", (c) => {
    const session = c.get("session")!;
    const list = jobs.list();
    return c.html(
      <Page title="Jobs" section="jobs" session={session}>
        <h1>Jobs</h1>
        {list.length === 0 ? (
          <p class="muted">No jobs: [jobs.&lt;name&gt;] in the config adds them.</p>
        ) : (
          <Table caption="Jobs" head={["job", "schedule", "steps", "next run", "last run", ""]}>
            {list.map((job) => (
              <tr>
                <td>
                  <a href={`/jobs/${encodeURIComponent(job.name)}`}>{job.name}</a>
                </td>
                <td>
                  <code>{job.schedule}</code> {job.timezone ?? ""}
                </td>
                <td>{job.steps.join(" → ")}</td>
                <td>{job.enabled ? <Time at={job.nextRun} /> : <Badge kind="neutral">disabled</Badge>}</td>
                <td>{job.running ? <Badge kind="running">running</Badge> : <LastRun run={job.lastRun} />}</td>
                <td>
                  <RunNow job={job} session={session} />
                </td>
              </tr>
            ))}
          </Table>
        )}
      </Page>,
    );
  });

  app.get("/jobs/:name", (c) => {
    const session = c.get("session")!;
    const name = c.req.param("name");
    const job = jobs.list().find((candidate) => candidate.name === name);
    let history: JobRunReport[];
    try {
      history = jobs.history(name, HISTORY);
    } catch (error) {
      return errorPage(c, 404, "No such job", asSyncerError(error).message, "jobs");
    }
    const startedText = c.req.query("started");
    const started = startedText && /^[0-9]{1,15}$/.test(startedText) ? startedText : undefined;
    const self = `/jobs/${encodeURIComponent(name)}${started ? `?started=${started}` : ""}`;
    return c.html(
      <Page title={`Job ${name}`} section="jobs" session={session}>
        <div id="job" {...(job?.running ? { "hx-get": self, "hx-trigger": "every 2s", "hx-select": "#job", "hx-target": "#job", "hx-swap": "outerHTML" } : {})}>
          <h1>Job {name}</h1>
          {started && <Notice kind="ok">Started: job run #{started}.</Notice>}
          {job ? (
            <section class="panel">
              <KeyValues
                entries={[
                  ["schedule", <code>{job.schedule}</code>],
                  ["time zone", job.timezone ?? "the system's"],
                  ["steps", job.steps.join(" → ")],
                  ["on a failed step", job.continueOnError ? "go on" : "stop"],
                  ["webhook", job.webhook ? "enabled" : "none"],
                  ["next run", job.enabled ? <Time at={job.nextRun} /> : "disabled"],
                  ["now", job.running ? <Badge kind="running">running</Badge> : "idle"],
                ]}
              />
              <p>
                <RunNow job={job} session={session} />
              </p>
            </section>
          ) : (
            <Notice kind="info">This job is no longer in the config; its history stays.</Notice>
          )}
          <h2>History</h2>
          {history.length === 0 ? (
            <p class="muted">Not run yet.</p>
          ) : (
            <Table caption={`Runs of job ${name}, newest first`} head={["job run", "trigger", "status", "started", "took", "steps"]}>
              {history.map((run) => (
                <tr>
                  <td>#{run.id}</td>
                  <td>{run.trigger}</td>
                  <td>
                    <Status status={run.status} />
                  </td>
                  <td>
                    <Time at={run.startedAt} />
                  </td>
                  <td>
                    <Duration ms={run.durationMs} />
                  </td>
                  <td>
                    {run.steps.map((step) => (
                      <div>
                        {step.run_id === null ? step.step : <a href={`/runs/${step.run_id}`}>{step.step}</a>} <Status status={step.status} />
                        {step.error ? ` ${step.error.message}` : ""}
                      </div>
                    ))}
                    {run.error && <div class="muted">{run.error.message}</div>}
                  </td>
                </tr>
              ))}
            </Table>
          )}
        </div>
      </Page>,
    );
  });

  const formRefused = (c: Context<UiEnv>, why: string) => errorPage(c, 403, "Form refused", `Nothing was done: ${why}.`, "jobs");
  app.post("/jobs/:name/run", requireSession("runs:trigger", refuse), verifyForm(formRefused), (c) => {
    const name = c.req.param("name");
    try {
      const started = jobs.start(name, "ui");
      return c.redirect(`/jobs/${encodeURIComponent(name)}?started=${started.id}`, 303);
    } catch (error) {
      const failure = asSyncerError(error);
      return errorPage(c, statusOf(failure), "Job not started", failure.message, "jobs");
    }
  });
  return app;
}
