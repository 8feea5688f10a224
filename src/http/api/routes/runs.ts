import * as v from "valibot";
import { SyncerError } from "../../../core/errors.ts";
import { runJson } from "../../../runs/run-json.ts";
import { route, type ApiRoute } from "../contract.ts";
import type { ApiServices } from "../../../app/services.ts";
import { ErrorSchema, RunIdParams, RunListQuery, RunSchema } from "../schemas.ts";

/** The run log: newest first, paged by id. */
export function runRoutes(services: ApiServices): ApiRoute[] {
  const runs = services.database.runs;
  return [
    route(
      {
        method: "get",
        path: "/runs",
        tag: "runs",
        summary: "List runs",
        scope: "runs:read",
        query: RunListQuery,
        responses: { 200: { description: "Runs, newest first; `next` is the cursor for `before`.", schema: v.object({ runs: v.array(RunSchema), next: v.nullable(v.number()) }) } },
      },
      (c, { query }) => {
        const limit = query.limit ?? 50;
        const rows = runs.list({ plugin: query.plugin, account: query.account, status: query.status, before: query.before, limit: limit + 1 });
        const page = rows.slice(0, limit);
        return c.json({ runs: page.map(runJson), next: rows.length > limit ? page[page.length - 1]!.id : null });
      },
    ),
    route(
      {
        method: "get",
        path: "/runs/:id",
        tag: "runs",
        summary: "Get a run",
        scope: "runs:read",
        params: RunIdParams,
        responses: { 200: { description: "The run with its details.", schema: RunSchema }, 404: { description: "No such run.", schema: ErrorSchema } },
      },
      (c, { params }) => {
        const run = runs.get(params.id);
        if (!run) throw new SyncerError("not_found", `no run #${params.id}`);
        return c.json(runJson(run));
      },
    ),
  ];
}
