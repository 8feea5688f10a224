/**
 * A fake Checkmk 2.4.0p18 site's REST API (`/<site>/check_mk/api/1.0`), stateful and checked against Checkmk's
 * own OpenAPI contract: hosts (one and in bulk), folders, pending changes and activation runs, with ETags and
 * `If-Match` where the contract requires them, `Authorization: Bearer <user> <secret>`, and errors as Checkmk
 * words them (`title`, `status`, `detail`, `fields`, `ext`). Operations an exporter does not use answer 501 and
 * are recorded, so a test never passes on an answer the fake made up.
 *
 *   const checkmk = startCheckmkFake();            // checkmk.address → http://127.0.0.1:<port>/mysite
 *   …                                              // checkmk.site: the state; checkmk.server: counts, faults
 *   await checkmk.close();                         // throws if any request or answer was off the contract
 */
import type { CheckedRequest, IncomingRequest, Problem } from "../contract/checker.ts";
import { ContractChecker } from "../contract/checker.ts";
import { openApiDocument } from "../contract/document.ts";
import type { Route } from "../contract/routes.ts";
import { type Answer, FakeGap, FakeServer, type FakeSystem, type RequestContext } from "../server.ts";
import { type AttributeKind, attributeErrors } from "./attributes.ts";
import { type ActivationRun, CheckmkSite, type FolderRecord, folderPath, folderSlug, type HostRecord, type SiteOptions } from "./site.ts";

export const CHECKMK_CONTRACT = "checkmk-2.4.0p18.openapi.yaml";
const VERSION = "2.4.0p18";

export interface CheckmkFake {
  /** What an operator enters as the account's address: `http://127.0.0.1:<port>/<site>`. */
  address: string;
  /** `<address>/check_mk/api/1.0` */
  apiUrl: string;
  site: CheckmkSite;
  server: FakeServer<Caller>;
  close(): Promise<void>;
}

interface Caller {
  user: string;
  role: "admin" | "guest";
}

export function startCheckmkFake(options: SiteOptions = {}): CheckmkFake {
  const site = new CheckmkSite(options);
  const server = new FakeServer(new CheckmkApi(site)).start();
  const address = `${server.origin}/${site.name}`;
  return { address, apiUrl: `${address}/check_mk/api/1.0`, site, server, close: () => server.close() };
}

type Params = { body: any; query: Record<string, any>; path: Record<string, any>; caller: Caller; context: RequestContext; route: Route };
type Handler = (params: Params) => Answer | Promise<Answer>;

const SETUP_PREFIXES = ["host_config.", "folder_config.", "activate_changes."];

class CheckmkApi implements FakeSystem<Caller> {
  readonly basePath: string;
  readonly checker = new ContractChecker(openApiDocument(CHECKMK_CONTRACT));
  readonly commonHeaders = { "X-Checkmk-Edition": "cre", "X-Checkmk-Version": VERSION };
  private readonly handlers: Record<string, Handler>;

  constructor(private readonly site: CheckmkSite) {
    this.basePath = `/${site.name}/check_mk/api/1.0`;
    this.handlers = {
      "host_config.list_hosts": (p) => this.listHosts(p),
      "host_config.create_host": (p) => this.bulkCreate(p, [p.body], true),
      "host_config.bulk_create_hosts": (p) => this.bulkCreate(p, p.body.entries, false),
      "host_config.show_host": (p) => this.showHost(p),
      "host_config.update_host": (p) => this.updateHost(p),
      "host_config.bulk_update_hosts": (p) => this.bulkUpdate(p),
      "host_config.delete": (p) => this.deleteHost(p),
      "host_config.bulk_delete": (p) => this.bulkDelete(p),
      "host_config.move": (p) => this.moveHost(p),
      "folder_config.hosts_of_folder": (p) => this.hostsOfFolder(p),
      "folder_config.list_folders": (p) => this.listFolders(p),
      "folder_config.create": (p) => this.createFolder(p),
      "folder_config.show_folder": (p) => this.showFolder(p),
      "folder_config.update": (p) => this.updateFolder(p),
      "folder_config.delete": (p) => this.deleteFolder(p),
      "folder_config.move": (p) => this.moveFolder(p),
      "activate_changes.activate_changes": (p) => this.activate(p),
      "activate_changes.activate_changes_wait_for_completion": (p) => this.waitForCompletion(p),
      "activate_changes.show_activation": (p) => this.showActivation(p),
      "activate_changes.list_activations": (p) => this.listActivations(p),
      "activate_changes.list_pending_changes": (p) => this.pendingChanges(p),
      "version.search": () => ok({ site: this.site.name, group: this.site.name, rest_api: { revision: "0" }, versions: { checkmk: VERSION }, edition: "cre", demo: false }),
    };
  }

  serialize(body: unknown): string {
    const text = JSON.stringify(body);
    return this.site.asciiJson ? text.replace(/[\u0080-\uffff]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, "0")}`) : text;
  }

  authenticate(request: IncomingRequest): { caller: Caller } | { refused: Answer } {
    const header = request.headers.get("authorization");
    if (!header) return { refused: unauthorized("You need to be authenticated to use the REST API.") };
    const [type, token = ""] = header.split(/ (.*)/s);
    if (type !== "Bearer") return { refused: unauthorized(`Unsupported Auth Type: ${type}`) };
    const [user = "", secret = ""] = token.trim().split(/ (.*)/s);
    const found = this.site.users.find((candidate) => candidate.name === user && candidate.secret === secret);
    if (!found) return { refused: unauthorized("You need to be authenticated to use the REST API.") };
    return { caller: { user: found.name, role: found.role } };
  }

  refusedAnswer(): Answer {
    return unauthorized("You need to be authenticated to use the REST API.");
  }

  extraProblems(_route: Route, request: IncomingRequest): Problem[] {
    // Checkmk refuses a request without an Accept header (406), and one whose Accept excludes JSON.
    const accept = request.headers.get("accept");
    if (!accept) return [{ in: "header", at: "Accept", message: "is missing: Checkmk answers 406 (Please specify an Accept Header.)" }];
    if (!/(^|,)\s*(application\/json|application\/\*|\*\/\*)\s*(;|,|$)/i.test(accept)) return [{ in: "header", at: "Accept", message: `${accept} excludes application/json: Checkmk answers 406` }];
    return [];
  }

  /** In the order Checkmk validates: content type, path, query, headers, Accept, body. */
  problemAnswer(_route: Route, problems: Problem[]): Answer {
    const of = (where: Problem["in"], test: (problem: Problem) => boolean = () => true) => problems.filter((problem) => problem.in === where && test(problem));
    const contentType = of("header", (problem) => problem.at === "Content-Type");
    if (contentType.length > 0) return problem(415, "Content type not valid for this endpoint.", contentType[0]!.message);
    const path = of("path");
    if (path.length > 0) return fieldProblem(404, "Not Found", path);
    const query = of("query");
    if (query.length > 0) return fieldProblem(400, "Bad Request", query);
    if (of("header", (problem) => problem.at === "If-Match").length > 0) return problem(428, "Precondition required", "If-Match header required for this operation. See documentation.");
    const accept = of("header", (problem) => problem.at === "Accept");
    if (accept.length > 0) return problem(406, "Not Acceptable", "Please specify an Accept Header.");
    const headers = of("header");
    if (headers.length > 0) return fieldProblem(400, "Bad Request", headers);
    return fieldProblem(400, "Bad Request", of("body"));
  }

  unknownPathAnswer(): Answer {
    return problem(404, "Not Found", "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.");
  }

  methodNotAllowedAnswer(allowed: string[]): Answer {
    return { ...problem(405, "Method Not Allowed", "The method is not allowed for the requested URL."), headers: { Allow: allowed.join(", ") } };
  }

  serverErrorAnswer(status: number): Answer {
    return problem(status, "Internal Server Error", "Injected failure: the fake was told to fail this request.");
  }

  async handle(request: CheckedRequest, caller: Caller, context: RequestContext): Promise<Answer> {
    const operation = request.route.operation.operationId.replace("cmk.gui.openapi.endpoints.", "");
    const handler = this.handlers[operation];
    if (!handler) throw new FakeGap(`${request.route.method.toUpperCase()} ${request.route.template} (${operation})`);
    if (this.site.setupDisabled && SETUP_PREFIXES.some((prefix) => operation.startsWith(prefix))) {
      return problem(403, "Forbidden: Setup is disabled", "This endpoint is currently disabled via the 'Disable remote configuration' option in 'Distributed Monitoring'. You may be able to query the central site.");
    }
    if (request.route.method !== "get" && caller.role !== "admin") {
      return problem(401, "Unauthorized", "We are sorry, but you lack the permission for this operation. If you do not like this then please ask your administrator to provide you with the following permission: 'Make changes, perform actions'.");
    }
    return handler({ body: request.body, query: request.query, path: request.pathParams, caller, context, route: request.route });
  }

  // ── hosts ────────────────────────────────────────────────────────────────────────────────────────────────

  private listHosts({ query, context }: Params): Answer {
    if (query.fields !== undefined) throw new FakeGap("the fields= filter of the host collection");
    const names = query.hostnames as string[] | undefined;
    let hosts = names ? names.map((name) => this.site.hosts.get(name)).filter((host): host is HostRecord => host !== undefined) : [...this.site.hosts.values()];
    if (query.site !== undefined) {
      const inheritedByFolder = new Map<string, Record<string, unknown>>();
      hosts = hosts.filter((host) => (this.site.effectiveAttributes(host, inheritedByFolder).site ?? this.site.name) === query.site);
    }
    return ok(this.hostCollection(context, hosts, { effective: query.effective_attributes === true, links: query.include_links === true }));
  }

  private hostsOfFolder({ path, query, context }: Params): Answer {
    const folder = this.site.findFolder(path.folder);
    if (!folder) return folderNotFound(path.folder);
    return ok(this.hostCollection(context, this.site.hostsIn(folder.path), { effective: query.effective_attributes === true, links: false }));
  }

  private showHost({ path, query, context }: Params): Answer {
    const host = this.site.hosts.get(path.host_name);
    if (!host) return hostNotFound(path.host_name);
    return this.hostAnswer(context, host, query.effective_attributes === true);
  }

  /** One host (create_host) or many (bulk-create): refused whole on a field error, as marshmallow refuses the body. */
  private bulkCreate({ query, caller, context }: Params, entries: any[], single: boolean): Answer {
    if (query.bake_agent === true) throw new FakeGap("bake_agent (agent bakery, Enterprise editions)");
    const fields: Record<string, Record<string, unknown>> = {};
    const seen = new Set<string>();
    entries.forEach((entry, index) => {
      const errors: Record<string, unknown> = {};
      if (this.site.hosts.has(entry.host_name) || seen.has(entry.host_name)) errors.host_name = [`Host "${entry.host_name}" already exists.`];
      seen.add(entry.host_name);
      if (!this.site.findFolder(entry.folder)) errors.folder = [`The folder "${entry.folder}" could not be found.`];
      const attributes = attributeErrors(this.checker.document, this.site, "HostCreateAttribute", entry.attributes ?? {});
      if (Object.keys(attributes).length > 0) errors.attributes = attributes;
      if (Object.keys(errors).length > 0) fields[String(index)] = errors;
    });
    if (Object.keys(fields).length > 0) {
      if (single) return fieldsProblem(Object.keys(fields["0"]!), fields["0"]!);
      return fieldsProblem(["entries"], { entries: fields });
    }
    const created: HostRecord[] = [];
    const failed: Record<string, string> = {};
    for (const entry of entries) {
      const refusal = this.site.hostRefusals.get(entry.host_name);
      if (refusal) failed[entry.host_name] = `Validation failed: ${refusal}`;
      else created.push(this.site.createHost(entry.host_name, this.site.findFolder(entry.folder)!.path, entry.attributes ?? {}, caller.user));
    }
    if (single) return created[0] ? this.hostAnswer(context, created[0], false) : problem(400, "Bad Request", failed[entries[0].host_name]!);
    return this.bulkAnswer(context, created, failed);
  }

  private updateHost({ path, body, caller, context }: Params): Answer {
    const host = this.site.hosts.get(path.host_name);
    if (!host) return hostNotFound(path.host_name);
    const precondition = this.precondition(context, this.site.hostEtag(host));
    if (precondition) return precondition;
    const invalid = this.updateErrors(body);
    if (invalid) return fieldsProblem(Object.keys(invalid), invalid);
    const missing = this.applyUpdate(host, body, caller.user);
    if (missing.length > 0) return problem(400, "Some attributes were not removed", `The following attributes were not removed since they didn't exist: ${missing.join(", ")}`);
    return this.hostAnswer(context, host, false);
  }

  /** Lost updates are possible here (no ETags), as Checkmk's documentation warns. */
  private bulkUpdate({ body, caller, context }: Params): Answer {
    const fields: Record<string, unknown> = {};
    body.entries.forEach((entry: any, index: number) => {
      const errors: Record<string, unknown> = this.site.hosts.has(entry.host_name) ? {} : { host_name: [`Host not found: ${JSON.stringify(entry.host_name)}`] };
      Object.assign(errors, this.updateErrors(entry));
      if (Object.keys(errors).length > 0) fields[String(index)] = errors;
    });
    if (Object.keys(fields).length > 0) return fieldsProblem(["entries"], { entries: fields });
    const updated: HostRecord[] = [];
    const failed: Record<string, string> = {};
    for (const entry of body.entries) {
      const host = this.site.hosts.get(entry.host_name)!;
      const refusal = this.site.hostRefusals.get(host.name);
      if (refusal) {
        failed[host.name] = `Validation failed: ${refusal}`;
        continue;
      }
      const missing = this.applyUpdate(host, entry, caller.user);
      if (missing.length > 0) failed[host.name] = `Failed to remove ${missing.join(", ")}`;
      else updated.push(host);
    }
    return this.bulkAnswer(context, updated, failed);
  }

  /** Field errors of an update body: one action only, and attributes the site knows. */
  private updateErrors(body: any): Record<string, unknown> | undefined {
    const actions = ["attributes", "update_attributes", "remove_attributes"].filter((key) => key in body);
    if (actions.length > 1) return { _schema: [`This endpoint only allows 1 action (set/update/remove) per call, you specified ${actions.length} actions: ${actions.join(", ")}.`] };
    for (const key of ["attributes", "update_attributes"]) {
      if (!body[key]) continue;
      const errors = attributeErrors(this.checker.document, this.site, "HostUpdateAttribute", body[key]);
      if (Object.keys(errors).length > 0) return { [key]: errors };
    }
    return undefined;
  }

  /**
   * Checkmk's semantics: `attributes` replaces all (an empty object changes nothing: Checkmk tests it for
   * truth), `update_attributes` merges, `remove_attributes` removes and names the ones that were not set.
   */
  private applyUpdate(host: HostRecord, body: any, user: string): string[] {
    const { meta_data: _meta, ...current } = host.attributes;
    if (body.attributes && Object.keys(body.attributes).length > 0) this.site.editHost(host, body.attributes, user);
    if (body.update_attributes && Object.keys(body.update_attributes).length > 0) this.site.editHost(host, { ...current, ...body.update_attributes }, user);
    const missing: string[] = [];
    if (body.remove_attributes?.length > 0) {
      const kept = { ...current };
      for (const name of body.remove_attributes as string[]) {
        if (name in kept) delete kept[name];
        else missing.push(name);
      }
      this.site.editHost(host, kept, user);
    }
    return missing;
  }

  private deleteHost({ path, caller }: Params): Answer {
    if (!this.site.hosts.has(path.host_name)) return hostNotFound(path.host_name);
    this.site.deleteHost(path.host_name, caller.user);
    return { status: 204 };
  }

  private bulkDelete({ body, caller }: Params): Answer {
    const fields: Record<string, string[]> = {};
    (body.entries as string[]).forEach((name, index) => {
      if (!this.site.hosts.has(name)) fields[String(index)] = [`Host not found: ${JSON.stringify(name)}`];
    });
    if (Object.keys(fields).length > 0) return fieldsProblem(["entries"], { entries: fields });
    for (const name of new Set(body.entries as string[])) this.site.deleteHost(name, caller.user);
    return { status: 204 };
  }

  private moveHost({ path, body, caller, context }: Params): Answer {
    const host = this.site.hosts.get(path.host_name);
    if (!host) return hostNotFound(path.host_name);
    const precondition = this.precondition(context, this.site.hostEtag(host));
    if (precondition) return precondition;
    const target = this.site.findFolder(body.target_folder);
    if (!target) return fieldsProblem(["target_folder"], { target_folder: [`The folder "${body.target_folder}" could not be found.`] });
    if (target.path === host.folder) return problem(400, "Invalid move action", "The host is already part of the specified target folder");
    this.site.moveHost(host, target.path, caller.user);
    return this.hostAnswer(context, host, false);
  }

  // ── folders ──────────────────────────────────────────────────────────────────────────────────────────────

  private listFolders({ query, context }: Params): Answer {
    const parent = query.parent === undefined ? this.site.folders.get("")! : this.site.findFolder(query.parent);
    if (!parent) return fieldsProblem(["parent"], { parent: [`The folder "${query.parent}" could not be found.`] });
    // "List the folder (default: root) and all its sub-folders recursively."
    const folders = query.recursive === true ? [parent, ...this.site.subfolders(parent.path, true)] : this.site.subfolders(parent.path, false);
    return ok({ id: "folder_config", domainType: "folder_config", links: [this.link(context, "self", "/domain-types/folder_config/collections/all")], value: folders.map((folder) => this.folderObject(context, folder, query.show_hosts === true)), extensions: {} });
  }

  private createFolder({ body, caller, context }: Params): Answer {
    const parent = this.site.findFolder(body.parent);
    if (!parent) return fieldsProblem(["parent"], { parent: [`The folder "${body.parent}" could not be found.`] });
    const attributes = body.attributes ?? {};
    const errors = attributeErrors(this.checker.document, this.site, "FolderCreateAttribute", attributes);
    if (Object.keys(errors).length > 0) return fieldsProblem(["attributes"], { attributes: errors });
    const childPath = (name: string) => (parent.path ? `${parent.path}/${name}` : name);
    let name: string = body.name;
    if (name !== undefined && this.site.folders.has(childPath(name))) return problem(400, "Bad Request", `A folder with name ${JSON.stringify(name)} already exists.`);
    if (name === undefined) {
      const base = String(body.title).replace(/[^-\w]/g, "_");
      name = base;
      for (let suffix = 2; this.site.folders.has(childPath(name)); suffix++) name = `${base}-${suffix}`;
    }
    return this.folderAnswer(context, this.site.createFolder(parent.path, name, body.title, attributes, caller.user));
  }

  private showFolder({ path, query, context }: Params): Answer {
    const folder = this.site.findFolder(path.folder);
    if (!folder) return folderNotFound(path.folder);
    return this.folderAnswer(context, folder, query.show_hosts === true);
  }

  private updateFolder({ path, body, caller, context }: Params): Answer {
    const folder = this.site.findFolder(path.folder);
    if (!folder) return folderNotFound(path.folder);
    const precondition = this.precondition(context, this.site.folderEtag(folder));
    if (precondition) return precondition;
    for (const key of ["attributes", "update_attributes"]) {
      const errors = body[key] ? attributeErrors(this.checker.document, this.site, "FolderUpdateAttribute", body[key]) : {};
      if (Object.keys(errors).length > 0) return fieldsProblem([key], { [key]: errors });
    }
    let attributes = { ...folder.attributes };
    if (body.attributes && Object.keys(body.attributes).length > 0) attributes = { ...body.attributes };
    if (body.update_attributes) Object.assign(attributes, body.update_attributes);
    const missing = ((body.remove_attributes ?? []) as string[]).filter((name) => !(name in attributes));
    if (missing.length > 0) return problem(400, "The folder was not updated", `The following attributes did not exist and could therefore not be removed: ${missing.join(", ")}`);
    for (const name of body.remove_attributes ?? []) delete attributes[name];
    folder.attributes = attributes;
    if (body.title !== undefined) folder.title = body.title;
    this.site.recordChange("edit-folder", `Edited properties of folder ${folder.path || "Main"}`, caller.user);
    return this.folderAnswer(context, folder);
  }

  private deleteFolder({ path, query, caller }: Params): Answer {
    const folder = this.site.findFolder(path.folder);
    if (!folder) return folderNotFound(path.folder);
    if (folder.path === "") return problem(401, "Problem deleting folder.", "Deleting the root folder is not permitted.");
    const empty = this.site.hostsIn(folder.path).length === 0 && this.site.subfolders(folder.path, false).length === 0;
    if (query.delete_mode === "abort_on_nonempty" && !empty) return problem(409, "Problem deleting folder.", "Folder is not empty or is referenced by another object. Use the force parameter to delete it.");
    this.site.deleteFolder(folder.path, caller.user);
    return { status: 204 };
  }

  private moveFolder({ path, body, caller, context }: Params): Answer {
    const folder = this.site.findFolder(path.folder);
    if (!folder) return folderNotFound(path.folder);
    const precondition = this.precondition(context, this.site.folderEtag(folder));
    if (precondition) return precondition;
    if (folder.path === "") return problem(400, "Problem moving folder", "You can't move the root folder.");
    const destination = this.site.findFolder(body.destination);
    if (!destination) return fieldsProblem(["destination"], { destination: [`The folder "${body.destination}" could not be found.`] });
    if (destination.path === folder.path || destination.path.startsWith(`${folder.path}/`)) return problem(400, "Problem moving folder.", "Cannot move folder into itself or one of its subfolders.");
    return this.folderAnswer(context, this.site.moveFolder(folder.path, destination.path, caller.user));
  }

  // ── activation ───────────────────────────────────────────────────────────────────────────────────────────

  private pendingChanges({ context }: Params): Answer {
    const body = { id: "activation_run", domainType: "activation_run", links: [this.link(context, "urn:com.checkmk:rels/activate", "/domain-types/activation_run/actions/activate-changes/invoke", "POST")], value: [...this.site.pendingChanges], extensions: {} };
    return { ...ok(body), headers: { ETag: this.site.pendingChangesEtag() } };
  }

  private activate({ body, caller, context }: Params): Answer {
    const precondition = this.precondition(context, this.site.pendingChangesEtag());
    if (precondition) return precondition;
    if (this.site.pendingChanges.length === 0) return problem(422, "Unprocessable Entity", "Currently there are no changes to activate.");
    if (this.site.runningActivation()) return problem(423, "Locked", "There is already an activation running.");
    const sites: string[] = body.sites ?? [];
    const unknown = sites.filter((name) => name !== this.site.name);
    if (unknown.length > 0) return problem(400, "Bad Request", `Unknown site ${unknown[0]}`);
    const foreign = this.site.pendingChanges.some((change) => change.user_id !== null && change.user_id !== caller.user);
    if (foreign && body.force_foreign_changes !== true) return problem(401, "Unauthorized", "There are changes from other users and foreign changes are not allowed in this API call.");
    const run = this.site.startActivation(sites, body.force_foreign_changes === true);
    if (body.redirect === true) return { status: 303, headers: { Location: `${this.basePath}${waitPath(run.id)}` } };
    return ok(this.activationObject(context, run, false));
  }

  private async waitForCompletion({ path }: Params): Promise<Answer> {
    const run = this.site.activations.get(path.activation_id);
    if (!run) return problem(404, "The requested activation was not found", `Could not find an activation with id ${JSON.stringify(path.activation_id)}.`);
    const state = await this.site.waitForActivation(run);
    if (state === "running") return { status: 302, headers: { Location: `${this.basePath}${waitPath(run.id)}` } };
    return { status: 204 };
  }

  private showActivation({ path, context }: Params): Answer {
    const run = this.site.activations.get(path.activation_id);
    if (!run) return problem(404, "The requested activation was not found", `Could not find an activation with id ${JSON.stringify(path.activation_id)}.`);
    return ok(this.activationObject(context, run, true));
  }

  private listActivations({ context }: Params): Answer {
    const running = [...this.site.activations.values()].filter((run) => run.isRunning);
    return ok({ id: "activation_run", domainType: "activation_run", links: [this.link(context, "self", "/domain-types/activation_run/collections/running")], value: running.map((run) => this.activationObject(context, run, true)), extensions: {} });
  }

  // ── answers ──────────────────────────────────────────────────────────────────────────────────────────────

  /** Checkmk's `require_etag`: 428 without If-Match, 412 when no tag in it matches (`*` matches any). */
  private precondition(context: RequestContext, etag: string): Answer | undefined {
    const header = context.incoming.headers.get("if-match");
    if (!header) return problem(428, "Precondition required", "If-Match header required for this operation. See documentation.");
    const tags = header.split(",").map((tag) => tag.trim());
    if (tags.includes("*") || tags.some((tag) => tag === etag || `"${tag}"` === etag)) return undefined;
    return problem(412, "Precondition failed", `ETag didn't match. Expected ${etag}. Probable cause: Object changed by another user.`);
  }

  private hostAnswer(context: RequestContext, host: HostRecord, effective: boolean): Answer {
    return { ...ok(this.hostObject(context, host, effective, true)), headers: { ETag: this.site.hostEtag(host) } };
  }

  private folderAnswer(context: RequestContext, folder: FolderRecord, showHosts = false): Answer {
    return { ...ok(this.folderObject(context, folder, showHosts)), headers: { ETag: this.site.folderEtag(folder) } };
  }

  private bulkAnswer(context: RequestContext, succeeded: HostRecord[], failed: Record<string, string>): Answer {
    const collection = this.hostCollection(context, succeeded, { effective: false, links: false });
    if (Object.keys(failed).length === 0) return ok(collection);
    return problem(400, "Some actions failed", `Some of the actions were performed but the following were faulty and were skipped: ${Object.keys(failed).join(" ,")}.`, undefined, { succeeded_hosts: collection, failed_hosts: failed });
  }

  private hostCollection(context: RequestContext, hosts: HostRecord[], options: { effective: boolean; links: boolean }) {
    const inheritedByFolder = new Map<string, Record<string, unknown>>();
    return {
      id: "host",
      domainType: "host_config",
      value: hosts.map((host) => this.hostObject(context, host, options.effective, options.links, inheritedByFolder)),
      links: [this.link(context, "self", "/domain-types/host_config/collections/all")],
      extensions: {},
    };
  }

  private hostObject(context: RequestContext, host: HostRecord, effective: boolean, links: boolean, inheritedByFolder?: Map<string, Record<string, unknown>>) {
    // The effective attributes are made only when the answer shows them: a folder of 5000 hosts copied each one's for is_offline alone.
    const effectiveAttributes = effective ? this.site.effectiveAttributes(host, inheritedByFolder) : undefined;
    const criticality = effectiveAttributes ? effectiveAttributes.tag_criticality : this.site.effectiveAttribute(host, "tag_criticality", inheritedByFolder);
    const href = links ? `/objects/host_config/${encodeURIComponent(host.name)}` : "";
    return {
      links: links
        ? [
            this.link(context, "self", href),
            this.link(context, "urn:org.restfulobjects:rels/update", href, "PUT"),
            this.link(context, "urn:org.restfulobjects:rels/delete", href, "DELETE"),
            { ...this.link(context, "urn:com.checkmk:rels/folder_config", `/objects/folder_config/${folderSlug(host.folder)}`), title: "The folder config of the host." },
          ]
        : [],
      domainType: "host_config",
      id: host.name,
      title: typeof host.attributes.alias === "string" && host.attributes.alias ? host.attributes.alias : host.name,
      members: {},
      extensions: {
        folder: `/${host.folder}`,
        attributes: host.attributes,
        effective_attributes: effectiveAttributes ?? null,
        is_cluster: false,
        is_offline: criticality === "offline",
        cluster_nodes: null,
      },
    };
  }

  private folderObject(context: RequestContext, folder: FolderRecord, showHosts: boolean) {
    const slug = folderSlug(folder.path);
    const href = `/objects/folder_config/${slug}`;
    const links: Record<string, string>[] = [this.link(context, "self", href), this.link(context, "urn:org.restfulobjects:rels/update", href, "PUT"), this.link(context, "urn:org.restfulobjects:rels/delete", href, "DELETE")];
    if (folder.path !== "") links.push({ ...this.link(context, "urn:com.checkmk:rels/move", `${href}/actions/move/invoke`, "POST"), title: "Move the folder" });
    const members: Record<string, unknown> = {};
    if (showHosts) {
      members.hosts = {
        id: "hosts",
        memberType: "collection",
        value: this.site.hostsIn(folder.path).map((host) => ({ ...this.link(context, "urn:org.restfulobjects:rels/value;collection=\"all\"", `/objects/host_config/${encodeURIComponent(host.name)}`), title: host.name })),
        links: [this.link(context, "self", `${href}/collections/hosts`)],
      };
    }
    return { links, domainType: "folder_config", id: slug, title: folder.title, members, extensions: { path: `/${folder.path}`, attributes: folder.attributes } };
  }

  private activationObject(context: RequestContext, run: ActivationRun, withStatus: boolean) {
    const extensions: Record<string, unknown> = { sites: run.sites, is_running: run.isRunning, force_foreign_changes: run.forceForeignChanges, time_started: run.timeStarted, changes: run.changes };
    if (withStatus) {
      extensions.status_per_site = run.sites.map((site) => ({
        site,
        status_text: run.isRunning ? "Activating" : "Success",
        status_details: run.isRunning ? "Activation in progress." : "Activation completed.",
        start_time: run.timeStarted,
        end_time: run.timeStarted,
      }));
    }
    const href = `/objects/activation_run/${run.id}`;
    const links = [this.link(context, "self", href)];
    if (run.isRunning) links.push(this.link(context, "urn:com.checkmk:rels/wait-for-completion", waitPath(run.id)));
    return { links, domainType: "activation_run", id: run.id, title: run.isRunning ? "Activation status: In progress." : "Activation status: Complete.", members: {}, extensions };
  }

  private link(context: RequestContext, rel: string, href: string, method = "GET") {
    return { domainType: "link", rel, href: `${context.origin}${this.basePath}${href}`, method, type: "application/json" };
  }
}

function waitPath(id: string): string {
  return `/objects/activation_run/${id}/actions/wait-for-completion/invoke`;
}

function ok(body: unknown): Answer {
  return { status: 200, body };
}

function problem(status: number, title: string, detail?: string, fields?: Record<string, unknown>, ext?: Record<string, unknown>): Answer {
  const body: Record<string, unknown> = { title, status };
  if (detail !== undefined) body.detail = detail;
  if (fields !== undefined) body.fields = fields;
  if (ext !== undefined) body.ext = ext;
  return { status, body, mediaType: "application/problem+json" };
}

function unauthorized(title: string): Answer {
  return problem(401, title);
}

/** marshmallow's validation error: "These fields have problems: …" with the messages nested as the body is. */
function fieldsProblem(names: string[], fields: Record<string, unknown>): Answer {
  return problem(400, "Bad Request", `These fields have problems: ${names.join(", ")}`, fields);
}

/** Contract problems (path, query, header, body) as Checkmk's field errors. */
function fieldProblem(status: number, title: string, problems: Problem[]): Answer {
  const fields: Record<string, any> = {};
  for (const { at, message } of problems) {
    const segments = at ? at.split("/") : ["_schema"];
    let node = fields;
    for (const segment of segments.slice(0, -1)) node = node[segment] = typeof node[segment] === "object" && !Array.isArray(node[segment]) ? node[segment] : {};
    const leaf = segments[segments.length - 1]!;
    node[leaf] = [...(Array.isArray(node[leaf]) ? node[leaf] : []), message];
  }
  return problem(status, title, `These fields have problems: ${Object.keys(fields).join(", ")}`, fields);
}

function hostNotFound(name: string): Answer {
  return problem(404, "Not Found", `These fields have problems: host_name`, { host_name: [`Host not found: ${JSON.stringify(name)}`] });
}

function folderNotFound(reference: string): Answer {
  return problem(404, "Not Found", `These fields have problems: folder`, { folder: [`The folder ${JSON.stringify(folderPath(reference) ? reference : "~")} could not be found.`] });
}
