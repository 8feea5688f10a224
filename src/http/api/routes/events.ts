import * as v from "valibot";
import { eventJson } from "../../../core/events.ts";
import { SyncerError } from "../../../core/errors.ts";
import { eventFilter } from "../../../events/query.ts";
import { subscriberJson } from "../../../events/subscribers.ts";
import { route, type ApiRoute } from "../contract.ts";
import type { ApiServices } from "../../../app/services.ts";
import { ErrorSchema, EventListQuery, EventSchema, SubscriberParams, SubscriberSchema } from "../schemas.ts";

/** The event log, oldest first from a cursor, and its subscribers. */
export function eventRoutes(services: ApiServices): ApiRoute[] {
  const { events, subscribers } = services.database;
  return [
    route(
      {
        method: "get",
        path: "/events",
        tag: "events",
        summary: "List events",
        description: "In id order from the cursor `after` (without it, from the first event of `since`, else the newest page). Follow the log by passing the last id seen as `after`.",
        scope: "events:read",
        query: EventListQuery,
        responses: {
          200: { description: "Events in id order; `next` is the cursor of the following page when this one is full.", schema: v.object({ events: v.array(EventSchema), next: v.nullable(v.number()) }) },
          400: { description: "A type or since that cannot be read.", schema: ErrorSchema },
        },
      },
      (c, { query }) => {
        const filter = eventFilter({ type: query.type, since: query.since, after: query.after, limit: query.limit ?? 100 }, Date.now());
        const rows = events.list({ ...filter, newest: filter.after === undefined && filter.since === undefined });
        return c.json({ events: rows.map(eventJson), next: rows.length === filter.limit ? rows[rows.length - 1]!.id : null });
      },
    ),
    route(
      {
        method: "get",
        path: "/events/subscribers",
        tag: "events",
        summary: "List subscribers",
        description: "Subscriber plugins and webhooks: cursor, state (dead_letter after [events] max_attempts failures in a row), last error.",
        scope: "events:read",
        responses: { 200: { description: "Subscribers by name.", schema: v.object({ subscribers: v.array(SubscriberSchema) }) } },
      },
      (c) => {
        const latest = events.latestId();
        return c.json({ subscribers: subscribers.list().map((row) => subscriberJson(row, latest)) });
      },
    ),
    route(
      {
        method: "post",
        path: "/events/subscribers/:name/resume",
        tag: "events",
        summary: "Resume a dead-lettered subscriber",
        description: "Delivery starts again from the subscriber's cursor: the batch that failed comes first.",
        scope: "admin",
        params: SubscriberParams,
        responses: { 200: { description: "The subscriber, active again.", schema: SubscriberSchema }, 404: { description: "No such subscriber.", schema: ErrorSchema } },
      },
      (c, { params }) => {
        if (!subscribers.resume(params.name)) throw new SyncerError("not_found", `no subscriber ${JSON.stringify(params.name)}`);
        return c.json(subscriberJson(subscribers.get(params.name)!, events.latestId()));
      },
    ),
  ];
}
