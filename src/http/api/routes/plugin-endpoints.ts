import type { Context, Hono, MiddlewareHandler } from "hono";
import * as v from "valibot";
import { SyncerError } from "../../../core/errors.ts";
import { EndpointAnswerSchema } from "../../../plugins/abi.ts";
import type { Plugin } from "../../../plugins/plugin.ts";
import { scopeAllows } from "../../../auth/tokens.ts";
import { errorBody } from "../../errors.ts";
import type { Scope } from "../contract.ts";
import type { ApiEnv } from "../env.ts";
import type { ApiServices } from "../../../app/services.ts";

/** Request headers a plugin never sees: the caller's credentials. */
const STRIPPED_HEADERS = new Set(["authorization", "cookie", "proxy-authorization"]);
/** Answer headers a plugin may not set: framing and cookies are the daemon's. */
const REFUSED_HEADERS = new Set(["content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "set-cookie", "trailer"]);

const PREFIX = "/api/v1/plugins/";

/**
 * The path below /api/v1/plugins/<ident>, segment by segment decoded. Dot segments (".", "..", their
 * %2e spellings) and "\" never reach the router: the server's URL parser resolves them first, so the
 * path routed, authorised and passed to the plugin is the resolved one. A segment that decodes to
 * something holding "/", "\" or NUL is refused, and so is "." or ".." should a request ever arrive
 * unresolved: the path must name one of the plugin's endpoints as written, never climb out of it.
 */
export function endpointPath(rawPathname: string, ident: string): string {
  const rest = rawPathname.slice(PREFIX.length + ident.length);
  const segments = rest.split("/").slice(1);
  const decoded = segments.map((segment) => {
    let text: string;
    try {
      text = decodeURIComponent(segment);
    } catch {
      throw new SyncerError("validation", `the path segment ${JSON.stringify(segment)} is not valid percent-encoding`);
    }
    if (text === "." || text === ".." || /[/\\\0]/.test(text)) throw new SyncerError("validation", "the path may not contain '.', '..' or encoded separators");
    return text;
  });
  return `/${decoded.join("/")}`;
}

/**
 * Plugin endpoints (easydb's API callbacks): what a manifest declares under `endpoints` is served at
 * /api/v1/plugins/<ident>/<path>, behind a token with the endpoint's scope. The plugin gets
 * {method, path, query, headers, body} and answers {status, headers, body}; its timeout is a 504, its
 * failure a 502 carrying the kind.
 */
export function registerPluginEndpoints(app: Hono<ApiEnv>, services: ApiServices, authenticate: MiddlewareHandler<ApiEnv>): void {
  app.all("/plugins/:ident/*", authenticate, async (c) => {
    const ident = c.req.param("ident");
    const plugin = services.setup().registry.plugins.get(ident);
    if (!plugin) throw new SyncerError("not_found", `no plugin '${ident}'`);
    const path = endpointPath(new URL(c.req.url).pathname, ident);
    const declared = plugin.manifest.endpoints.filter((endpoint) => endpoint.path === path);
    if (declared.length === 0) throw new SyncerError("not_found", `plugin ${ident} has no endpoint ${path}`);
    const endpoint = declared.find((candidate) => candidate.method === c.req.method);
    if (!endpoint) {
      const allowed = declared.map((candidate) => candidate.method).join(", ");
      return c.json(errorBody("method_not_allowed", `${c.req.method} ${path}: plugin ${ident} answers ${allowed} there`), 405, { Allow: allowed });
    }
    if (!plugin.manifest.enabled) throw new SyncerError("disabled", `plugin ${ident} is disabled`);
    const scope: Scope = endpoint.scope ?? (endpoint.method === "GET" ? "hosts:read" : "hosts:write");
    const token = c.get("token");
    if (!scopeAllows(token.scopes, scope)) throw new SyncerError("forbidden", `token ${token.name} lacks the scope ${scope} that ${endpoint.method} ${path} of plugin ${ident} needs`);
    return answer(c, plugin, endpoint.export, await requestOf(c, path), services);
  });
}

async function requestOf(c: Context<ApiEnv>, path: string) {
  const headers: Record<string, string> = {};
  c.req.raw.headers.forEach((value, name) => {
    if (!STRIPPED_HEADERS.has(name)) headers[name] = value;
  });
  const query = Object.fromEntries(Object.entries(c.req.queries()).map(([key, values]) => [key, values.length === 1 ? values[0]! : values]));
  const text = c.req.method === "GET" || c.req.method === "HEAD" ? "" : await c.req.text();
  return { method: c.req.method, path, query, headers, body: text === "" ? null : text };
}

async function answer(c: Context<ApiEnv>, plugin: Plugin, exportName: string, input: unknown, services: ApiServices): Promise<Response> {
  const result = await services.runtime().call(plugin, exportName, { input, pluginOptions: services.setup().pluginOptions.get(plugin.ident) });
  for (const line of result.logs) services.log.debug(`${plugin.ident}: ${line.message}`, { endpoint: exportName });
  if (!result.ok) {
    const status = result.error.kind === "timeout" ? 504 : result.error.kind === "overloaded" ? 503 : 502;
    return c.json(errorBody(result.error.kind, `plugin ${plugin.ident} endpoint ${exportName}: ${result.error.message}`), status);
  }
  const parsed = v.safeParse(EndpointAnswerSchema, result.value);
  if (!parsed.success) {
    const [issue] = parsed.issues;
    const path = v.getDotPath(issue);
    return c.json(errorBody("abi", `plugin ${plugin.ident} endpoint ${exportName} answered something that is not {status, headers, body}: ${path ? `${path}: ` : ""}${issue.message}`), 502);
  }
  const { status, headers = {}, body } = parsed.output;
  const outgoing = new Headers();
  for (const [name, value] of Object.entries(headers)) if (!REFUSED_HEADERS.has(name.toLowerCase())) outgoing.set(name, value);
  if (typeof body === "string") {
    if (!outgoing.has("content-type")) outgoing.set("content-type", "text/plain; charset=utf-8");
    return new Response(body, { status, headers: outgoing });
  }
  outgoing.set("content-type", "application/json");
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: outgoing });
}
