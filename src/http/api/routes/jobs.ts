import * as v from "valibot";
import { SyncerError } from "../../../core/errors.ts";
import { jobRunJson } from "../../../scheduler/job-runs.ts";
import { jobInfoJson } from "../../../scheduler/scheduler.ts";
import { route, type ApiRoute } from "../contract.ts";
import type { ApiServices } from "../../../app/services.ts";
import { AnyObject, ErrorSchema, NameParams } from "../schemas.ts";

const started = v.object({ job: v.string(), job_run_id: v.number(), status: v.literal("running") });
const problems = {
  404: { description: "No such job.", schema: ErrorSchema },
  409: { description: "The job is running already (jobs never overlap themselves).", schema: ErrorSchema },
};

/** Scheduled jobs: list with next run times, history, trigger by token or by the job's webhook secret. */
export function jobRoutes(services: ApiServices): ApiRoute[] {
  return [
    route(
      { method: "get", path: "/jobs", tag: "jobs", summary: "List jobs", description: "Each [jobs.<name>] with its schedule, next run time and last run.", scope: "runs:read", responses: { 200: { description: "The jobs.", schema: v.object({ jobs: v.array(AnyObject) }) } } },
      (c) => c.json({ jobs: services.jobs.list().map(jobInfoJson) }),
    ),
    route(
      {
        method: "get",
        path: "/jobs/:name/runs",
        tag: "jobs",
        summary: "A job's run history",
        scope: "runs:read",
        params: NameParams,
        responses: { 200: { description: "Its runs, newest first, with each step's run id.", schema: v.object({ runs: v.array(AnyObject) }) }, 404: problems[404] },
      },
      (c, { params }) => c.json({ runs: services.jobs.history(params.name, 50).map(jobRunJson) }),
    ),
    route(
      { method: "post", path: "/jobs/:name/run", tag: "jobs", summary: "Run a job now", description: "Starts the job and answers at once; follow it with GET /jobs/{name}/runs.", scope: "runs:trigger", params: NameParams, responses: { 202: { description: "Started.", schema: started }, ...problems } },
      (c, { params }) => c.json({ job: params.name, job_run_id: services.jobs.start(params.name, "api").id, status: "running" as const }, 202),
    ),
    route(
      {
        method: "post",
        path: "/jobs/:name/webhook",
        tag: "jobs",
        summary: "Run a job from a webhook",
        description: "For systems that cannot hold a token: the job's own webhook_secret in the X-Syncer-Webhook-Secret header. A job without a webhook_secret refuses every call, as a wrong secret does.",
        scope: null,
        params: NameParams,
        responses: { 202: { description: "Started.", schema: started }, 401: { description: "Wrong or missing secret.", schema: ErrorSchema }, ...problems },
      },
      (c, { params }) => {
        const secret = c.req.header("x-syncer-webhook-secret") ?? "";
        // An unknown job and a wrong secret answer alike, so the webhook does not tell which jobs exist.
        if (!services.jobs.webhookAccepts(params.name, secret)) throw new SyncerError("unauthorized", "wrong or missing X-Syncer-Webhook-Secret for this job's webhook");
        return c.json({ job: params.name, job_run_id: services.jobs.start(params.name, "webhook").id, status: "running" as const }, 202);
      },
    ),
  ];
}
