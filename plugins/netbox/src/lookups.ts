// The related objects an export names (sites, roles, device types, platforms, clusters, tenants, tags,
// manufacturers): read from NetBox once per run by the begin phase, by name and slug → id, and kept in the
// plugin's kv store for the run's page calls (each a fresh call, perhaps in another sandbox process). A page
// that creates a missing one (create_missing) adds it and saves that table again.
import { JsonKind, JsonReader, JsonWriter, Query, kv } from "../../sdk/index";
import { ListAnswer } from "./list";
import { isFatal, problemOf } from "./problem";
import { Settings, slugOf } from "./settings";

/** Rows per kv value: a value holds at most 1 MiB, a row at most some 250 bytes. */
const ROWS_PER_VALUE = 3000;

class Row {
  constructor(
    public id: i64,
    public name: string,
    public slug: string,
  ) {}
}

/** One kind of related object, by name and by slug. */
export class Table {
  rows: Row[] = [];
  private ids: Map<string, i64> = new Map<string, i64>();
  private names: Map<i64, string> = new Map<i64, string>();
  /** Added since it was loaded: save() writes it again. */
  changed: bool = false;

  constructor(
    /** The kv key's part and the outcome's name: "site". */
    public key: string,
    /** The list endpoint under /api. */
    public path: string,
    /** The member that names an object: "name", a device type's "model". */
    public nameField: string,
    /** Whether the objects have slugs (clusters do not). */
    public hasSlug: bool,
    /** What one is called in messages. */
    public noun: string,
    /** Whether create_missing makes missing ones. */
    public creatable: bool,
  ) {}

  add(id: i64, name: string, slug: string): void {
    this.rows.push(new Row(id, name, slug));
    if (slug.length > 0) this.ids.set("s:" + slug, id);
    this.ids.set("n:" + name, id);
    const lower = "l:" + name.toLowerCase();
    if (!this.ids.has(lower)) this.ids.set(lower, id);
    this.names.set(id, name);
  }

  /** The id of the object with this slug, else this name, else this name in another case; 0 when there is none. */
  find(text: string): i64 {
    if (this.ids.has("s:" + text)) return this.ids.get("s:" + text);
    if (this.ids.has("n:" + text)) return this.ids.get("n:" + text);
    const lower = "l:" + text.toLowerCase();
    return this.ids.has(lower) ? this.ids.get(lower) : 0;
  }

  /** An id's name for messages: "(none)" for 0, "#<id>" for one not read. */
  nameOf(id: i64): string {
    if (id == 0) return "(none)";
    return this.names.has(id) ? this.names.get(id) : "#" + id.toString();
  }

  /** Reads every object of the table from NetBox, a page at a time: "" when done, else why not (fatal set for auth or connection). */
  read(settings: Settings): string {
    let offset: i64 = 0;
    for (;;) {
      const answer = settings.api.get(this.path, new Query().setInt("limit", 1000).setInt("offset", offset));
      if (!answer.ok) {
        this.fatal = isFatal(answer);
        this.fatalKind = answer.errorKind;
        return "reading NetBox's " + this.noun + "s: " + problemOf(answer);
      }
      const reader = answer.document!.readerAt(0);
      const list = new ListAnswer(reader);
      while (list.next()) this.readRow(reader);
      if (reader.failed) return "the answer of GET " + answer.url + ": " + reader.error;
      if (!list.more || list.count == 0) break;
      offset += list.count;
    }
    return "";
  }

  fatal: bool = false;
  fatalKind: string = "";

  private readRow(reader: JsonReader): void {
    let id: i64 = 0;
    let name = "";
    let slug = "";
    if (!reader.beginObject()) return;
    while (reader.nextKey()) {
      if (reader.keyIs("id") && reader.kind() == JsonKind.Number) id = reader.integer();
      else if (reader.keyIs(this.nameField) && reader.kind() == JsonKind.String) name = reader.string();
      else if (reader.keyIs("slug") && reader.kind() == JsonKind.String) slug = reader.string();
      else reader.skip();
    }
    if (id != 0) this.add(id, name, slug);
  }

  private kvKey(prefix: string): string {
    return prefix + this.key;
  }

  save(prefix: string): void {
    const parts = (this.rows.length + ROWS_PER_VALUE - 1) / ROWS_PER_VALUE;
    for (let part = 0; part < parts; part++) {
      const writer = new JsonWriter(ROWS_PER_VALUE * 64);
      writer.beginArray();
      const end = min((part + 1) * ROWS_PER_VALUE, this.rows.length);
      for (let i = part * ROWS_PER_VALUE; i < end; i++) {
        const row = this.rows[i];
        writer.beginArray();
        writer.integer(row.id);
        writer.string(row.name);
        writer.string(row.slug);
        writer.endArray();
      }
      writer.endArray();
      kv.set(this.kvKey(prefix) + "." + part.toString(), writer.toString());
    }
    kv.set(this.kvKey(prefix), parts.toString());
    this.changed = false;
  }

  /** False when the begin phase left nothing under this prefix. */
  load(prefix: string): bool {
    const count = kv.get(this.kvKey(prefix));
    if (count === null) return false;
    const parts = I32.parseInt(count!);
    for (let part = 0; part < parts; part++) {
      const value = kv.get(this.kvKey(prefix) + "." + part.toString());
      if (value === null) return false;
      const reader = JsonReader.fromString(value!);
      reader.beginArray();
      while (reader.nextItem()) {
        reader.beginArray();
        reader.nextItem();
        const id = reader.integer();
        reader.nextItem();
        const name = reader.string();
        reader.nextItem();
        const slug = reader.string();
        while (reader.nextItem()) reader.skip();
        this.add(id, name, slug);
      }
      if (reader.failed) return false;
    }
    return true;
  }
}

/** The tables an export of devices or VMs resolves names with. */
export class Lookups {
  site: Table = new Table("site", "/dcim/sites/", "name", true, "site", true);
  role: Table = new Table("role", "/dcim/device-roles/", "name", true, "role", true);
  deviceType: Table = new Table("device_type", "/dcim/device-types/", "model", true, "device type", true);
  platform: Table = new Table("platform", "/dcim/platforms/", "name", true, "platform", true);
  cluster: Table = new Table("cluster", "/virtualization/clusters/", "name", false, "cluster", false);
  tenant: Table = new Table("tenant", "/tenancy/tenants/", "name", true, "tenant", false);
  tag: Table = new Table("tag", "/extras/tags/", "name", true, "tag", false);
  manufacturer: Table = new Table("manufacturer", "/dcim/manufacturers/", "name", true, "manufacturer", true);
  /** Ids given in a dry run to objects that would be created (never sent): negative. */
  private dryIds: i64 = 0;

  constructor(public devices: bool) {}

  all(): Table[] {
    const tables = [this.site, this.role, this.platform, this.cluster, this.tenant, this.tag];
    if (this.devices) {
      tables.push(this.deviceType);
      tables.push(this.manufacturer);
    }
    return tables;
  }

  /** Reads every table: "" when done, else why not. */
  read(settings: Settings): string {
    const tables = this.all();
    for (let i = 0; i < tables.length; i++) {
      const problem = tables[i].read(settings);
      if (problem.length > 0) {
        this.fatalKind = tables[i].fatal ? tables[i].fatalKind : "runtime";
        return problem;
      }
    }
    return "";
  }

  fatalKind: string = "";

  save(prefix: string, onlyChanged: bool): void {
    const tables = this.all();
    for (let i = 0; i < tables.length; i++) if (!onlyChanged || tables[i].changed) tables[i].save(prefix);
  }

  load(prefix: string): bool {
    const tables = this.all();
    for (let i = 0; i < tables.length; i++) if (!tables[i].load(prefix)) return false;
    return true;
  }

  /**
   * Creates the object named `name` in `table` (a device type also needs its manufacturer's id): its id, or
   * 0 with `problem` saying why. In a dry run nothing is sent and the object gets a negative id.
   */
  create(table: Table, name: string, settings: Settings, dryRun: bool, manufacturer: i64 = 0): i64 {
    this.problem = "";
    const slug = slugOf(name);
    const body = new JsonWriter(256);
    body.beginObject();
    body.key(table.nameField);
    body.string(name);
    body.key("slug");
    body.string(slug);
    if (table === this.deviceType) {
      body.key("manufacturer");
      body.integer(manufacturer);
    }
    body.endObject();
    const answer = settings.api.send("POST", table.path, body);
    if (!answer.ok) {
      this.problem = "creating the " + table.noun + " '" + name + "': " + problemOf(answer);
      this.fatalKind = isFatal(answer) ? answer.errorKind : "";
      return 0;
    }
    let id: i64 = 0;
    if (dryRun) {
      id = --this.dryIds;
    } else if (answer.document !== null) {
      const value = answer.document!.root().member("id");
      if (value !== null && value.kind == JsonKind.Number) id = value.reader().integer();
    }
    if (id == 0) {
      this.problem = "creating the " + table.noun + " '" + name + "': NetBox's answer has no id";
      return 0;
    }
    table.add(id, name, slug);
    table.changed = true;
    return id;
  }

  problem: string = "";
}

/** The kv prefix of a run's tables, per account (kv is the account's already) and object type. */
export function lookupPrefix(devices: bool): string {
  return devices ? "lookup.devices." : "lookup.vms.";
}
