import { Hono } from "hono";
import { scopeAllows } from "../../../auth/tokens.ts";
import { pluginDetail, pluginSummary } from "../../../plugins/plugin-json.ts";
import { Badge, KeyValues, Table, valueText } from "../components.tsx";
import { errorPage, type UiContext } from "../context.tsx";
import { Page } from "../layout.tsx";
import type { UiEnv } from "../session.ts";

const PERMISSION_NAMES = { http: "HTTP", hosts: "host data", kv: "key-value cache", events: "events" } as const;

/** Plugins: the list, and one plugin's manifest: permissions with their reasons, commands, endpoints, views, limits. */
export function pluginRoutes({ services }: UiContext): Hono<UiEnv> {
  const app = new Hono<UiEnv>();

  app.get("/plugins", (c) => {
    const session = c.get("session")!;
    const { registry } = services.setup();
    const plugins = [...registry.plugins.values()].map(pluginSummary);
    return c.html(
      <Page title="Plugins" section="plugins" session={session}>
        <h1>Plugins</h1>
        <Table caption="Plugins" head={["plugin", "version", "state", "from", "commands", "description"]}>
          {plugins.map((plugin) => (
            <tr>
              <td>
                <a href={`/plugins/${plugin.ident}`}>{plugin.name}</a> <code>{plugin.ident}</code>
              </td>
              <td>{plugin.version}</td>
              <td>{plugin.enabled ? <Badge kind="ok">enabled</Badge> : <Badge kind="neutral">disabled</Badge>}</td>
              <td>{plugin.origin === "builtin" ? "built in" : <code>{plugin.location}</code>}</td>
              <td>{plugin.commands.join(", ")}</td>
              <td>{plugin.description}</td>
            </tr>
          ))}
        </Table>
        {registry.refused.length > 0 && (
          <>
            <h2>Refused manifests</h2>
            <ul>
              {registry.refused.map((problem) => (
                <li>
                  <code>{problem.file}</code>
                  {problem.key ? ` (${problem.key})` : ""}: {problem.message}
                </li>
              ))}
            </ul>
          </>
        )}
      </Page>,
    );
  });

  app.get("/plugins/:ident", (c) => {
    const session = c.get("session")!;
    const plugin = services.setup().registry.plugins.get(c.req.param("ident"));
    if (!plugin) return errorPage(c, 404, "No such plugin", `There is no plugin '${c.req.param("ident")}'.`, "plugins");
    const { manifest } = pluginDetail(plugin);
    const { http, hosts, kv, events } = manifest.permissions;
    const permissions: [string, string][] = [];
    if (http) permissions.push([`${PERMISSION_NAMES.http}${http.hosts.length ? ` (${http.hosts.join(", ")} besides the account's address)` : " (the account's address)"}`, http.reason]);
    if (hosts) permissions.push([`${PERMISSION_NAMES.hosts} (${hosts.access})`, hosts.reason]);
    if (kv) permissions.push([PERMISSION_NAMES.kv, kv.reason]);
    if (events) permissions.push([PERMISSION_NAMES.events, events.reason]);
    const views = manifest.views.filter((view) => scopeAllows(session.scopes, view.scope));
    return c.html(
      <Page title={`Plugin ${manifest.name}`} section="plugins" session={session}>
        <h1>
          {manifest.name} <code>{plugin.ident}</code> {manifest.enabled ? <Badge kind="ok">enabled</Badge> : <Badge kind="neutral">disabled</Badge>}
        </h1>
        <p class="lead">{manifest.description}</p>
        {views.length > 0 && (
          <section class="panel">
            <h2>Views</h2>
            <ul>
              {views.map((view) => (
                <li>
                  <a href={`/plugins/${plugin.ident}/views/${view.name}`}>{view.title}</a>
                  {view.description ? ` — ${view.description}` : ""}
                </li>
              ))}
            </ul>
          </section>
        )}
        <div class="grid">
          <section class="panel">
            <h2>Manifest</h2>
            <KeyValues
              entries={[
                ["version", manifest.version],
                ["author", manifest.author || "—"],
                ["ABI", `v${manifest.api_version}`],
                ["from", plugin.origin === "builtin" ? "built into syncer" : plugin.location],
                ["module", manifest.wasm],
              ]}
            />
          </section>
          <section class="panel">
            <h2>Permissions</h2>
            {permissions.length === 0 ? (
              <p>None: the plugin computes on what it is given.</p>
            ) : (
              <KeyValues entries={permissions} />
            )}
          </section>
          <section class="panel">
            <h2>Limits</h2>
            <KeyValues
              entries={[
                ["time per call", manifest.limits.timeout_seconds ? `${manifest.limits.timeout_seconds} s` : "the [sandbox] default"],
                ["memory", manifest.limits.memory_mb ? `${manifest.limits.memory_mb} MiB` : "the [sandbox] default"],
              ]}
            />
          </section>
        </div>
        <h2>Commands</h2>
        {Object.keys(manifest.commands).length === 0 ? (
          <p class="muted">None.</p>
        ) : (
          <Table caption="Commands" head={["command", "kind", "account", "in jobs", "time limit", "description"]}>
            {Object.entries(manifest.commands).map(([name, command]) => (
              <tr>
                <td>
                  <code>{name}</code>
                </td>
                <td>{command.kind}</td>
                <td>{command.account}</td>
                <td>{command.schedulable ? "yes" : "no"}</td>
                <td>{command.timeout_seconds ? `${command.timeout_seconds} s` : "—"}</td>
                <td>{command.description}</td>
              </tr>
            ))}
          </Table>
        )}
        <h2>Endpoints</h2>
        {manifest.endpoints.length === 0 ? (
          <p class="muted">None.</p>
        ) : (
          <Table caption="HTTP endpoints" head={["method", "path", "scope", "description"]}>
            {manifest.endpoints.map((endpoint) => (
              <tr>
                <td>{endpoint.method}</td>
                <td>
                  <code>
                    /api/v1/plugins/{plugin.ident}
                    {endpoint.path}
                  </code>
                </td>
                <td>{endpoint.scope ?? (endpoint.method === "GET" ? "hosts:read" : "hosts:write")}</td>
                <td>{endpoint.description ?? ""}</td>
              </tr>
            ))}
          </Table>
        )}
        {manifest.hooks.length > 0 && (
          <>
            <h2>Hooks</h2>
            <Table caption="Hooks" head={["event", "export", "priority", "description"]}>
              {manifest.hooks.map((hook) => (
                <tr>
                  <td>{hook.event}</td>
                  <td>
                    <code>{hook.export}</code>
                  </td>
                  <td>{hook.priority}</td>
                  <td>{hook.description ?? ""}</td>
                </tr>
              ))}
            </Table>
          </>
        )}
        {Object.keys(manifest.options).length > 0 && (
          <>
            <h2>Options</h2>
            <Table caption="Options" head={["option", "type", "default", "description"]}>
              {Object.entries(manifest.options).map(([name, option]) => (
                <tr>
                  <td>
                    <code>{name}</code>
                    {option.required ? " (required)" : ""}
                  </td>
                  <td>{option.type}</td>
                  <td class="mono">{option.default === undefined ? "—" : valueText(option.default)}</td>
                  <td>{option.description}</td>
                </tr>
              ))}
            </Table>
          </>
        )}
      </Page>,
    );
  });
  return app;
}
