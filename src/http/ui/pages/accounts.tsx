import { Hono } from "hono";
import { effectiveConfig } from "../../../config/dump.ts";
import { Badge, KeyValues, Status, Table, Time, valueText } from "../components.tsx";
import type { UiContext } from "../context.tsx";
import { Page } from "../layout.tsx";
import type { UiEnv } from "../session.ts";

type AccountView = Record<string, unknown> & { plugin?: string; enabled?: boolean; options?: Record<string, { value: unknown; origin: string }> };

/**
 * Accounts as configured, with inherited values and resolved options (admins only, as in the API: they
 * show addresses and user names). Every value comes from the redacted effective config: a secret shows as
 * its marker and where it is read from, never its value.
 */
export function accountRoutes({ services }: UiContext): Hono<UiEnv> {
  const app = new Hono<UiEnv>();
  app.get("/accounts", (c) => {
    const session = c.get("session")!;
    const setup = services.setup();
    const accounts = Object.entries(effectiveConfig(setup.config, setup.accounts).accounts as Record<string, AccountView>);
    const owned = new Map<string | null, number>();
    for (const row of services.database.stats.liveHosts()) owned.set(row.account, (owned.get(row.account) ?? 0) + row.hosts);
    return c.html(
      <Page title="Accounts" section="accounts" session={session}>
        <h1>Accounts</h1>
        <p class="lead">As configured in {setup.config.source.path}; secrets are never shown.</p>
        {accounts.length === 0 ? (
          <p class="muted">No accounts: [accounts.&lt;name&gt;] in the config adds them.</p>
        ) : (
          <Table caption="Accounts" head={["account", "plugin", "status", "hosts owned", "last run", "settings"]} numeric={[3]}>
            {accounts.map(([name, account]) => {
              const last = services.database.runs.list({ account: name, limit: 1 })[0];
              const { options = {}, custom_fields: _fields, plugin, enabled, ...settings } = account;
              return (
                <tr>
                  <td>
                    <a href={`/hosts?account=${encodeURIComponent(name)}`}>{name}</a>
                  </td>
                  <td>{plugin ? <a href={`/plugins/${plugin}`}>{plugin}</a> : "—"}</td>
                  <td>{enabled === false ? <Badge kind="neutral">disabled</Badge> : <Badge kind="ok">enabled</Badge>}</td>
                  <td class="num">{(owned.get(name) ?? 0).toLocaleString("en")}</td>
                  <td>
                    {last ? (
                      <>
                        <Status status={last.status} /> <a href={`/runs/${last.id}`}>#{last.id}</a> {last.command} <Time at={last.startedAt} />
                      </>
                    ) : (
                      <span class="muted">never</span>
                    )}
                  </td>
                  <td>
                    <details>
                      <summary>settings and options</summary>
                      <KeyValues
                        entries={[
                          ...Object.entries(settings).map(([key, value]) => [key, valueText(value)] as [string, string]),
                          ...Object.entries(options).map(([key, option]) => [`option ${key}`, `${valueText(option.value)} (${option.origin})`] as [string, string]),
                        ]}
                      />
                    </details>
                  </td>
                </tr>
              );
            })}
          </Table>
        )}
      </Page>,
    );
  });
  return app;
}
