/**
 * The state of a fake Checkmk site, without HTTP: the folder tree, hosts with their attributes, ETags computed
 * from content the way Checkmk computes them (a SHA-256 over the sorted content: a host's name, attributes without
 * `meta_data` and cluster nodes; a folder's path, attributes and host names), pending changes, and activation
 * runs. Tests and benches read and seed it directly; the HTTP side (fake.ts) calls it for every request.
 */
import { randomUUID } from "node:crypto";
import { canonicalJson } from "../contract/canonical-json.ts";

export interface HostRecord {
  name: string;
  /** Folder path without leading slash; "" is the root (Checkmk's "Main" folder). */
  folder: string;
  /** As stored, `meta_data` included; labels under `labels`. */
  attributes: Record<string, unknown>;
}

export interface FolderRecord {
  path: string;
  /** 32 hex digits, the folder's other name in URLs. */
  id: string;
  title: string;
  attributes: Record<string, unknown>;
}

export interface Change {
  id: string;
  action_name: string;
  text: string;
  user_id: string | null;
  time: string;
}

export interface ActivationRun {
  id: string;
  sites: string[];
  changes: Change[];
  forceForeignChanges: boolean;
  timeStarted: string;
  isRunning: boolean;
  /** Wait-for-completion requests still answered "still running" (302) before the run completes. */
  waitsBeforeDone: number;
  /** Held: stays running until `finishActivations()`. */
  held: boolean;
}

/** A site's tag groups as Checkmk ships them (the contract's enums), the first choice being the default. */
export const BUILTIN_TAG_GROUPS: Record<string, string[]> = {
  address_family: ["ip-v4-only", "ip-v6-only", "ip-v4v6", "no-ip"],
  agent: ["cmk-agent", "all-agents", "special-agents", "no-agent"],
  snmp_ds: ["no-snmp", "snmp-v2", "snmp-v1"],
  piggyback: ["auto-piggyback", "piggyback", "no-piggyback"],
  criticality: ["prod", "critical", "test", "offline"],
  networking: ["lan", "wan", "dmz"],
};

export interface SiteOptions {
  /** The site's name, the first segment of the API's path. Default "mysite". */
  site?: string;
  /** Default: one admin automation user `automation` with secret `automation-secret`. */
  users?: { name: string; secret: string; role: "admin" | "guest" }[];
  /** Tag groups besides the built-in ones: group id (without `tag_`) → choices. */
  tagGroups?: Record<string, string[]>;
  /** Custom host attributes the site defines (string values). */
  customAttributes?: string[];
  /** Wait-for-completion requests answered 302 ("still running") before an activation completes. Default 1: the first wait completes it. */
  activationWaits?: number;
  /** Every Setup endpoint answers 403, as on a remote site with configuration disabled. */
  setupDisabled?: boolean;
  /** Answers written as Python's json.dumps writes by default (ensure_ascii): every non-ASCII character as a `\uXXXX` escape. */
  asciiJson?: boolean;
}

export class CheckmkSite {
  readonly name: string;
  readonly users: { name: string; secret: string; role: "admin" | "guest" }[];
  readonly tagGroups: Record<string, string[]>;
  readonly customAttributes: Set<string>;
  readonly setupDisabled: boolean;
  readonly asciiJson: boolean;
  readonly hosts = new Map<string, HostRecord>();
  readonly folders = new Map<string, FolderRecord>();
  readonly pendingChanges: Change[] = [];
  readonly activations = new Map<string, ActivationRun>();
  /**
   * Hosts the site refuses to create or update, with the reason: Checkmk skips them and answers 400 "Some
   * actions failed" listing them under `ext.failed_hosts` while the rest of the bulk request succeeds.
   */
  readonly hostRefusals = new Map<string, string>();
  private readonly activationWaits: number;
  private holdingActivations = false;
  private readonly releaseWaiters: (() => void)[] = [];
  private clock = Date.parse("2025-01-20T12:00:00Z");
  /**
   * The hosts by folder, in the order of `hosts`, made in one pass when asked for and dropped by every change of
   * which hosts there are or where they live (the methods below make all such changes): listing 20 folders of
   * 100k hosts would otherwise walk every host 20 times.
   */
  private byFolder: Map<string, HostRecord[]> | undefined;
  /** The pending changes' ETag with what it was computed for (their count, first and last id): they only grow at the end or are cleared. */
  private changesEtag: { key: string; etag: string } | undefined;

  constructor(options: SiteOptions = {}) {
    this.name = options.site ?? "mysite";
    this.users = options.users ?? [{ name: "automation", secret: "automation-secret", role: "admin" }];
    this.tagGroups = { ...BUILTIN_TAG_GROUPS, ...options.tagGroups };
    this.customAttributes = new Set(options.customAttributes ?? []);
    this.activationWaits = options.activationWaits ?? 1;
    this.setupDisabled = options.setupDisabled ?? false;
    this.asciiJson = options.asciiJson ?? false;
    this.folders.set("", { path: "", id: folderId(""), title: "Main", attributes: {} });
  }

  /** A timestamp one second after the last: answers are the same from run to run. */
  now(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString();
  }

  // ── folders ──────────────────────────────────────────────────────────────────────────────────────────────

  /** `~a~b`, `/a/b`, `\a\b` or a folder's 32-hex id, as Checkmk's FolderField reads them. */
  findFolder(reference: string): FolderRecord | undefined {
    if (/^[0-9a-fA-F]{32}$/.test(reference)) return [...this.folders.values()].find((folder) => folder.id === reference.toLowerCase());
    return this.folders.get(folderPath(reference));
  }

  createFolder(parent: string, name: string, title: string, attributes: Record<string, unknown>, user: string | null): FolderRecord {
    const path = parent ? `${parent}/${name}` : name;
    const folder: FolderRecord = { path, id: folderId(path), title, attributes };
    this.folders.set(path, folder);
    this.recordChange("new-folder", `Created new folder ${path}`, user);
    return folder;
  }

  subfolders(path: string, recursive: boolean): FolderRecord[] {
    const prefix = path ? `${path}/` : "";
    return [...this.folders.values()].filter((folder) => folder.path !== path && folder.path.startsWith(prefix) && (recursive || !folder.path.slice(prefix.length).includes("/")));
  }

  hostsIn(path: string): HostRecord[] {
    if (!this.byFolder) {
      this.byFolder = new Map();
      for (const host of this.hosts.values()) {
        const list = this.byFolder.get(host.folder);
        if (list) list.push(host);
        else this.byFolder.set(host.folder, [host]);
      }
    }
    return [...(this.byFolder.get(path) ?? [])];
  }

  /** Deletes a folder with its subfolders and their hosts. */
  deleteFolder(path: string, user: string | null): void {
    for (const folder of [path, ...this.subfolders(path, true).map((sub) => sub.path)]) {
      for (const host of this.hostsIn(folder)) this.hosts.delete(host.name);
      this.folders.delete(folder);
      this.byFolder = undefined;
    }
    this.recordChange("delete-folder", `Deleted folder ${path}`, user);
  }

  moveFolder(path: string, destination: string, user: string | null): FolderRecord {
    const name = path.slice(path.lastIndexOf("/") + 1);
    const target = destination ? `${destination}/${name}` : name;
    const moved = [path, ...this.subfolders(path, true).map((sub) => sub.path)];
    for (const old of moved) {
      const folder = this.folders.get(old)!;
      const renamed = target + old.slice(path.length);
      this.folders.delete(old);
      this.folders.set(renamed, { ...folder, path: renamed });
      for (const host of this.hostsIn(old)) host.folder = renamed;
      this.byFolder = undefined;
    }
    this.recordChange("move-folder", `Moved folder ${path} to ${destination || "Main"}`, user);
    return this.folders.get(target)!;
  }

  /** The attributes a host inherits: the built-in tag defaults, then each folder from the root down. */
  inheritedAttributes(path: string): Record<string, unknown> {
    const inherited: Record<string, unknown> = {};
    for (const [group, choices] of Object.entries(this.tagGroups)) inherited[`tag_${group}`] = choices[0];
    const parts = path ? path.split("/") : [];
    for (let depth = 0; depth <= parts.length; depth++) {
      const folder = this.folders.get(parts.slice(0, depth).join("/"));
      if (folder) Object.assign(inherited, folder.attributes);
    }
    return inherited;
  }

  folderEtag(folder: FolderRecord): string {
    return etagOf({ path: folder.path, attributes: folder.attributes, hosts: this.hostsIn(folder.path).map((host) => host.name).sort() });
  }

  // ── hosts ────────────────────────────────────────────────────────────────────────────────────────────────

  createHost(name: string, folder: string, attributes: Record<string, unknown>, user: string | null): HostRecord {
    const time = this.now();
    const host: HostRecord = { name, folder, attributes: { ...attributes, meta_data: { created_at: time, updated_at: time, created_by: user } } };
    this.hosts.set(name, host);
    this.byFolder = undefined;
    this.recordChange("create-host", `Created new host ${name}.`, user);
    return host;
  }

  /** Replaces, merges or removes attributes; `meta_data` is kept and stamped. */
  editHost(host: HostRecord, attributes: Record<string, unknown>, user: string | null): void {
    const meta = host.attributes.meta_data as Record<string, unknown>;
    host.attributes = { ...attributes, meta_data: { ...meta, updated_at: this.now() } };
    this.recordChange("edit-host", `Modified host ${host.name}.`, user);
  }

  moveHost(host: HostRecord, target: string, user: string | null): void {
    this.recordChange("move-host", `Moved host ${host.name} from ${host.folder || "Main"} to ${target || "Main"}`, user);
    host.folder = target;
    this.byFolder = undefined;
  }

  deleteHost(name: string, user: string | null): void {
    this.hosts.delete(name);
    this.byFolder = undefined;
    this.recordChange("delete-host", `Deleted host ${name}`, user);
  }

  hostEtag(host: HostRecord): string {
    const { meta_data: _meta, ...attributes } = host.attributes;
    return etagOf({ name: host.name, attributes, cluster_nodes: null });
  }

  /** What the host's attributes come to with everything it inherits (`effective_attributes` in answers). */
  effectiveAttributes(host: HostRecord, inheritedByFolder?: Map<string, Record<string, unknown>>): Record<string, unknown> {
    let inherited = inheritedByFolder?.get(host.folder);
    if (!inherited) {
      inherited = this.inheritedAttributes(host.folder);
      inheritedByFolder?.set(host.folder, inherited);
    }
    return { ...inherited, ...host.attributes };
  }

  /** One attribute of effectiveAttributes(), without copying them all. */
  effectiveAttribute(host: HostRecord, name: string, inheritedByFolder?: Map<string, Record<string, unknown>>): unknown {
    const own = host.attributes[name];
    // Attributes come from JSON: a member present is never undefined.
    if (own !== undefined) return own;
    let inherited = inheritedByFolder?.get(host.folder);
    if (!inherited) {
      inherited = this.inheritedAttributes(host.folder);
      inheritedByFolder?.set(host.folder, inherited);
    }
    return inherited[name];
  }

  // ── changes and activation ──────────────────────────────────────────────────────────────────────────────

  recordChange(action: string, text: string, user: string | null): void {
    this.pendingChanges.push({ id: randomUUID(), action_name: action, text, user_id: user, time: this.now() });
  }

  pendingChangesEtag(): string {
    const changes = this.pendingChanges;
    const key = `${changes.length} ${changes[0]?.id} ${changes.at(-1)?.id}`;
    // Over the changes as written (their keys are in one order by construction): 100k changes made canonical took a second.
    if (this.changesEtag?.key !== key) this.changesEtag = { key, etag: `"${new Bun.CryptoHasher("sha256").update(JSON.stringify(changes)).digest("hex")}"` };
    return this.changesEtag.etag;
  }

  runningActivation(): ActivationRun | undefined {
    return [...this.activations.values()].find((run) => run.isRunning);
  }

  startActivation(sites: string[], forceForeignChanges: boolean): ActivationRun {
    const run: ActivationRun = {
      id: randomUUID(),
      sites: sites.length > 0 ? sites : [this.name],
      changes: [...this.pendingChanges],
      forceForeignChanges,
      timeStarted: this.now(),
      isRunning: true,
      waitsBeforeDone: this.activationWaits - 1,
      held: this.holdingActivations,
    };
    this.activations.set(run.id, run);
    return run;
  }

  /** One wait-for-completion request on a run: completes it when its turn has come, or holds it while held. */
  async waitForActivation(run: ActivationRun): Promise<"done" | "running"> {
    if (!run.isRunning) return "done";
    if (run.held) await new Promise<void>((resolve) => this.releaseWaiters.push(resolve));
    if (run.waitsBeforeDone > 0) {
      run.waitsBeforeDone--;
      return "running";
    }
    this.completeActivation(run);
    return "done";
  }

  /** Activations started from now on stay running (wait-for-completion holds) until `finishActivations()`. */
  holdActivations(): void {
    this.holdingActivations = true;
  }

  /** Completes every running activation and lets held wait-for-completion requests answer. */
  finishActivations(): void {
    this.holdingActivations = false;
    for (const run of this.activations.values()) {
      if (run.isRunning) {
        run.held = false;
        run.waitsBeforeDone = 0;
        this.completeActivation(run);
      }
    }
    for (const release of this.releaseWaiters.splice(0)) release();
  }

  private completeActivation(run: ActivationRun): void {
    run.isRunning = false;
    const activated = new Set(run.changes.map((change) => change.id));
    const remaining = this.pendingChanges.filter((change) => !activated.has(change.id));
    this.pendingChanges.splice(0, this.pendingChanges.length, ...remaining);
  }
}

/** `~a~b`, `/a/b/`, `\a\b` → `a/b`; the root is "". */
export function folderPath(reference: string): string {
  return reference.replace(/[~\\]/g, "/").replace(/^\/+|\/+$/g, "");
}

/** Checkmk's folder slug: the path with `~` for `/`, `~` alone for the root. */
export function folderSlug(path: string): string {
  return `~${path.replaceAll("/", "~")}`;
}

function folderId(path: string): string {
  return new Bun.CryptoHasher("md5").update(`folder:${path}`).digest("hex");
}

/** A strong ETag over content with keys sorted, as Checkmk's `etag_of_dict`; the header form, quoted. */
export function etagOf(content: unknown): string {
  return `"${new Bun.CryptoHasher("sha256").update(canonicalJson(content)).digest("hex")}"`;
}
