import * as v from "valibot";
import { effectiveConfig } from "../../../config/dump.ts";
import { noAccount } from "../../../plugins/options.ts";
import { route, type ApiRoute } from "../contract.ts";
import type { ApiServices } from "../../../app/services.ts";
import { AnyObject, ErrorSchema, NameParams } from "../schemas.ts";

/** Accounts as configured, with inherited values and resolved options; every secret redacted (admin only: they show addresses and usernames). */
export function accountRoutes(services: ApiServices): ApiRoute[] {
  const accounts = () => {
    const setup = services.setup();
    return effectiveConfig(setup.config, setup.accounts).accounts as Record<string, Record<string, unknown>>;
  };
  return [
    route(
      { method: "get", path: "/accounts", tag: "accounts", summary: "List accounts", scope: "admin", responses: { 200: { description: "Accounts by name, secrets redacted.", schema: v.object({ accounts: v.array(AnyObject) }) } } },
      (c) => c.json({ accounts: Object.entries(accounts()).map(([name, account]) => ({ name, ...account })) }),
    ),
    route(
      {
        method: "get",
        path: "/accounts/:name",
        tag: "accounts",
        summary: "Get an account",
        scope: "admin",
        params: NameParams,
        responses: { 200: { description: "The account, secrets redacted.", schema: AnyObject }, 404: { description: "No such account.", schema: ErrorSchema } },
      },
      (c, { params }) => {
        const account = accounts()[params.name];
        if (!account) throw noAccount(params.name, Object.keys(accounts()));
        return c.json({ name: params.name, ...account });
      },
    ),
  ];
}
