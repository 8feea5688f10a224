import * as v from "valibot";
import { SyncerError } from "../../../core/errors.ts";
import { pluginDetail, pluginSummary } from "../../../plugins/plugin-json.ts";
import { route, type ApiRoute } from "../contract.ts";
import type { ApiServices } from "../../../app/services.ts";
import { AnyObject, ErrorSchema, IdentParams } from "../schemas.ts";

/** The plugins the daemon found, enabled or not, and the manifests they were refused for. */
export function pluginRoutes(services: ApiServices): ApiRoute[] {
  return [
    route(
      {
        method: "get",
        path: "/plugins",
        tag: "plugins",
        summary: "List plugins",
        scope: "hosts:read",
        responses: { 200: { description: "Plugins, and those refused with why.", schema: v.object({ plugins: v.array(AnyObject), refused: v.array(AnyObject) }) } },
      },
      (c) => {
        const { registry } = services.setup();
        return c.json({ plugins: [...registry.plugins.values()].map(pluginSummary), refused: registry.refused });
      },
    ),
    route(
      {
        method: "get",
        path: "/plugins/:ident",
        tag: "plugins",
        summary: "Get a plugin",
        description: "Its manifest: commands, options (secret defaults redacted), permissions, hooks, endpoints.",
        scope: "hosts:read",
        params: IdentParams,
        responses: { 200: { description: "The plugin.", schema: AnyObject }, 404: { description: "No such plugin.", schema: ErrorSchema } },
      },
      (c, { params }) => {
        const plugin = services.setup().registry.plugins.get(params.ident);
        if (!plugin) throw new SyncerError("not_found", `no plugin '${params.ident}'`);
        return c.json(pluginDetail(plugin));
      },
    ),
  ];
}
