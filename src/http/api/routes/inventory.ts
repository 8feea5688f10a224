import * as v from "valibot";
import { jsonPieces } from "../../../plugins/host-keyed.ts";
import { inventoryTarget, renderInventory } from "../../../runs/inventory.ts";
import { route, type ApiRoute } from "../contract.ts";
import type { ApiServices } from "../../../app/services.ts";
import { AnyObject, ErrorSchema, IdentParams, InventoryQuery } from "../schemas.ts";

/** Inventories rendered by plugins for other tools: GET /inventory/ansible is Ansible's dynamic inventory (--list, or ?host= for --host). */
export function inventoryRoutes(services: ApiServices): ApiRoute[] {
  return [
    route(
      {
        method: "get",
        path: "/inventory/:ident",
        tag: "inventory",
        summary: "Render the inventory through a plugin",
        description: "The export-eligible hosts (active, not deleted) rendered by the plugin's inventory format, e.g. /inventory/ansible for Ansible's --list, ?host=NAME for --host.",
        scope: "hosts:read",
        params: IdentParams,
        query: InventoryQuery,
        responses: {
          200: { description: "The rendered inventory.", schema: AnyObject },
          404: { description: "No such plugin, or it renders no inventory.", schema: ErrorSchema },
          502: { description: "The plugin failed.", schema: ErrorSchema },
          504: { description: "The plugin overran its time limit.", schema: ErrorSchema },
        },
      },
      async (c, { params, query }) => {
        const setup = services.setup();
        const { plugin, account } = inventoryTarget(setup, params.ident, query.account);
        const inventory = await renderInventory(setup, services.runtime(), services.database.hosts, { plugin, format: query.format, account, host: query.host });
        return c.body(new Blob(jsonPieces(inventory)).stream(), 200, { "content-type": "application/json" });
      },
    ),
  ];
}
