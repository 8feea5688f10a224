import { SyncerError } from "../../../core/errors.ts";
import { hostJson } from "../../../inventory/host-json.ts";
import { route, type ApiRoute } from "../contract.ts";
import type { ApiServices } from "../../../app/services.ts";
import {
  BulkAnswer,
  DeleteQuery,
  ErrorSchema,
  HostBulkBody,
  HostChangeLogSchema,
  HostListQuery,
  HostListSchema,
  HostnameParams,
  HostSchema,
  HostUpsertBody,
  NamespaceBody,
  NamespaceParams,
  UpsertAnswer,
} from "../schemas.ts";

const TAG = "hosts";
const invalid = { 400: { description: "Invalid path, query or body.", schema: ErrorSchema } };
const missing = { 404: { description: "No such host.", schema: ErrorSchema } };

/** Hosts: read with hosts:read; write with hosts:write, with the semantics of an import by the named account (or by hand, owner `manual`). */
export function hostRoutes(services: ApiServices): ApiRoute[] {
  const queries = services.database.hosts;
  const found = (hostname: string) => {
    const host = queries.get(hostname);
    if (!host) throw new SyncerError("not_found", `no host ${JSON.stringify(hostname)}`);
    return host;
  };

  return [
    route(
      {
        method: "get",
        path: "/hosts",
        tag: TAG,
        summary: "List hosts",
        description: "Live hosts by hostname, filtered by labels (all must match), account and a hostname substring; cursor-paged.",
        scope: "hosts:read",
        query: HostListQuery,
        responses: { 200: { description: "A page of hosts.", schema: HostListSchema }, ...invalid },
      },
      (c, { query }) => {
        const labels = Object.fromEntries((query.label ?? []).map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]));
        const page = queries.list({ labels, search: query.search, account: query.account, deleted: query.deleted === "true", after: query.after, limit: query.limit ?? 100 });
        return c.json({ hosts: page.hosts.map(hostJson), next: page.next });
      },
    ),
    route(
      {
        method: "get",
        path: "/hosts/:hostname",
        tag: TAG,
        summary: "Get a host",
        description: "The host and its change log, newest first. Soft-deleted hosts answer too, with deleted_at set.",
        scope: "hosts:read",
        params: HostnameParams,
        responses: { 200: { description: "The host.", schema: HostChangeLogSchema }, ...missing },
      },
      (c, { params }) => {
        const json = queries.json(params.hostname);
        if (json === undefined) throw new SyncerError("not_found", `no host ${JSON.stringify(params.hostname)}`);
        return c.body(json, 200, { "content-type": "application/json" });
      },
    ),
    route(
      {
        method: "put",
        path: "/hosts/:hostname",
        tag: TAG,
        summary: "Create or update a host",
        description:
          "As an import by `account` would, or without `account` (or with `manual`) by hand, owner `manual`: the writer takes the host over unless a master account owns it, or it was made by hand and the writer is no master account (409 account_conflict); labels are replaced as a whole, inventory in the writer's namespace. Hooks run; the change log records creations too.",
        scope: "hosts:write",
        params: HostnameParams,
        body: HostUpsertBody,
        responses: {
          200: { description: "Updated or unchanged.", schema: UpsertAnswer },
          201: { description: "Created.", schema: UpsertAnswer },
          ...invalid,
          409: { description: "The host is not taken over (account_conflict: a master account owns it, or it was made by hand and the writer is no master account), or it changed during the write.", schema: ErrorSchema },
        },
      },
      async (c, { params, body }) => {
        const summary = await services.writes().upsert(body.account, [{ hostname: params.hostname, labels: body.labels, inventory: body.inventory }]);
        const { hostname, outcome } = summary.outcomes[0]!;
        return c.json({ outcome, host: hostJson(found(hostname)) }, outcome === "created" ? 201 : 200);
      },
    ),
    route(
      {
        method: "post",
        path: "/hosts/bulk",
        tag: TAG,
        summary: "Create or update many hosts",
        description: "Like PUT /hosts/{hostname} for each host, in one transaction: all are written or none.",
        scope: "hosts:write",
        body: HostBulkBody,
        responses: { 200: { description: "What happened to each host.", schema: BulkAnswer }, ...invalid, 409: { description: "Some host is not taken over (a master account owns it, or it was made by hand and the writer is no master account), or changed during the write; nothing written.", schema: ErrorSchema } },
      },
      async (c, { body }) => {
        const summary = await services.writes().upsert(body.account, body.hosts.map((host) => ({ ...host })));
        return c.json({ created: summary.created, updated: summary.updated, unchanged: summary.unchanged, hosts: summary.outcomes });
      },
    ),
    route(
      {
        method: "delete",
        path: "/hosts/:hostname",
        tag: TAG,
        summary: "Soft-delete a host",
        description: "Marks the host deleted with a reason; it stays readable and an import that returns it restores it.",
        scope: "hosts:write",
        params: HostnameParams,
        query: DeleteQuery,
        responses: { 200: { description: "Deleted (or already deleted).", schema: HostSchema }, ...missing },
      },
      async (c, { params, query }) => {
        await services.writes().remove(params.hostname, query.reason ?? "deleted through the API");
        return c.json(hostJson(found(params.hostname)));
      },
    ),
    route(
      {
        method: "put",
        path: "/hosts/:hostname/inventory/:namespace",
        tag: TAG,
        summary: "Set one inventory namespace of a host",
        description: "Replaces the fields <namespace>__* of the host's inventory; other namespaces and the owner stay.",
        scope: "hosts:write",
        params: NamespaceParams,
        body: NamespaceBody,
        responses: { 200: { description: "The host afterwards.", schema: UpsertAnswer }, ...invalid, ...missing },
      },
      async (c, { params, body }) => {
        const outcome = await services.writes().setNamespace(params.hostname, params.namespace, body.fields);
        return c.json({ outcome, host: hostJson(found(params.hostname)) });
      },
    ),
  ];
}
