import { explainHost, hostForRules } from "../../../runs/rules-report.ts";
import { route, type ApiRoute } from "../contract.ts";
import type { ApiServices } from "../../../app/services.ts";
import { ErrorSchema, HostnameParams, HostRulesQuery, HostRulesSchema } from "../schemas.ts";

/** Why a host gets what it gets from the rules, per target: `syncer rules debug` over HTTP. */
export function ruleRoutes(services: ApiServices): ApiRoute[] {
  return [
    route(
      {
        method: "get",
        path: "/hosts/:hostname/rules",
        tag: "hosts",
        summary: "Explain the rules for a host",
        description:
          "Every rule of each target in order, each condition with matched or not and the value it saw, what each matching rule set, and what the target receives: labels and inventory (filtered, rewritten) and outcomes. Computed from the host's data and the rules as they are now.",
        scope: "hosts:read",
        params: HostnameParams,
        query: HostRulesQuery,
        responses: {
          200: { description: "The explanation per target.", schema: HostRulesSchema },
          404: { description: "No such host, or no such target.", schema: ErrorSchema },
        },
      },
      async (c, { params, query }) => {
        const host = hostForRules(services.database, params.hostname);
        return c.json({ hostname: host.hostname, targets: await explainHost(services.setup(), services.runtime(), host, query.target) });
      },
    ),
  ];
}
