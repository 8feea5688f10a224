import * as v from "valibot";
import { inventoryTarget, renderInventory, type RenderedInventory } from "../../../runs/inventory.ts";
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
        const inventory = await renderInventory(setup, services.runtime(), services.database, { plugin, format: query.format, account, host: query.host });
        for (const warning of inventory.warnings) services.log.warn(warning, { plugin: plugin.ident });
        return c.body(streamOf(inventory), 200, { "content-type": "application/json" });
      },
    ),
  ];
}

/**
 * The inventory as the response's body, a chunk at a time as the client takes them (a chunk is made when
 * the stream is pulled, so a slow reader holds back the reading of the spool); the spool is given back
 * at the end, or when the client goes away.
 */
function streamOf(inventory: RenderedInventory): ReadableStream<Uint8Array> {
  const chunks = inventory.chunks();
  const done = () => {
    chunks.return(undefined);
    inventory.close();
  };
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        try {
          const next = chunks.next();
          if (next.done) {
            done();
            controller.close();
          } else controller.enqueue(next.value);
        } catch (error) {
          done();
          controller.error(error);
        }
      },
      cancel: done,
    },
    { highWaterMark: 1 },
  );
}
