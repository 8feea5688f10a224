// An export page: each host's wanted NetBox fields (the rules' outcomes: site, role, device_type, platform,
// cluster, tenant by name or slug; status; tags; custom_fields.<name>) against what NetBox holds of the
// objects Syncer owns (`current`, read by the begin phase), then the writes in bulk: missing related
// objects first (create_missing), the ownership tag, a name lookup for the objects to create (one people made
// with that name is left alone), bulk create (list POST), bulk update (list PATCH with ids) of only the fields
// that differ. NetBox's validation errors are reported per object; the others in the request go on.
import { ErrorKind, Exporter, ExportPage, HostEntry, HostResultStatus, JsonDocument, JsonKind, JsonReader, JsonWriter, log } from "../../sdk/index";
import { ObjectKind } from "./kinds";
import { Lookups, Table, lookupPrefix } from "./lookups";
import { Settings, settingsOf } from "./settings";
import { Current, Wanted, hasRef, sameIds, writeIds } from "./wanted";
import { BulkWrites } from "./writes";

/** The manufacturer of a device type create_missing makes when no rule names one (outcome manufacturer). */
const DEFAULT_MANUFACTURER = "Generic";

export class NetboxExporter extends Exporter {
  settings: Settings = new Settings();
  lookups: Lookups;
  current: Map<string, Current> = new Map<string, Current>();
  hosts: Wanted[] = [];
  dryRun: bool = false;

  constructor(public kind: ObjectKind) {
    super();
    this.lookups = new Lookups(kind.devices);
  }

  start(page: ExportPage): bool {
    if (page.request.account === null) return this.fail(ErrorKind.Options, "an export needs an account");
    this.settings = settingsOf(page.request.account!);
    if (this.settings.problem.length > 0) return this.fail(ErrorKind.Options, this.settings.problem);
    this.dryRun = page.request.dry_run;
    if (!this.lookups.load(lookupPrefix(this.kind.devices))) return this.fail(ErrorKind.Runtime, "the tables the begin phase read are not in the plugin's kv store (is the kv permission granted?)");
    return true;
  }

  /** `current`: {hostname: state} for the page's hosts NetBox has, tagged. */
  inputMember(key: string, reader: JsonReader): bool {
    if (key != "current") return reader.skip();
    if (reader.nullValue() || !reader.beginObject()) return !reader.failed;
    while (reader.nextKey()) {
      const hostname = reader.key();
      const kept = new Current();
      if (!reader.beginObject()) return this.fail(ErrorKind.Parser, "the state of " + hostname + " is not an object");
      while (reader.nextKey()) {
        const name = reader.key();
        if (name == "id") kept.id = reader.integer();
        else if (name == "status") kept.status = reader.string();
        else if (name == "tags") {
          reader.beginArray();
          while (reader.nextItem()) kept.tags.push(reader.integer());
        } else if (name == "custom_fields" && reader.capture()) {
          const fields = JsonDocument.fromString(String.UTF8.decodeUnsafe(reader.valuePtr, <usize>reader.valueLength)).root().members();
          for (let i = 0; i < fields.length; i++) kept.customFields.set(fields[i].key, fields[i].value.compactText());
        } else if (reader.kind() == JsonKind.Number) kept.refs.set(name, reader.integer());
        else reader.skip();
      }
      this.current.set(hostname, kept);
    }
    return !reader.failed;
  }

  export(host: HostEntry, page: ExportPage): bool {
    const wanted = new Wanted(host.hostname);
    const reader = host.outcomesReader();
    reader.beginObject();
    while (reader.nextKey()) {
      const key = reader.key();
      if (this.kind.refs.includes(key)) {
        wanted.refTexts.set(key, textOf(reader));
      } else if (key == "status") {
        wanted.status = textOf(reader);
      } else if (key == "manufacturer") {
        wanted.manufacturer = textOf(reader);
      } else if (key == "tags") {
        wanted.hasTags = true;
        if (reader.kind() == JsonKind.Array) {
          reader.beginArray();
          while (reader.nextItem()) {
            const text = textOf(reader);
            if (text.length > 0) wanted.tagTexts.push(text);
          }
        } else {
          const parts = textOf(reader).split(",");
          for (let i = 0; i < parts.length; i++) if (parts[i].trim().length > 0) wanted.tagTexts.push(parts[i].trim());
        }
      } else if (key == "custom_fields" && reader.kind() == JsonKind.Object) {
        reader.beginObject();
        while (reader.nextKey()) {
          const name = reader.key();
          if (!reader.capture()) break;
          const raw = String.UTF8.decodeUnsafe(reader.valuePtr, <usize>reader.valueLength);
          // An empty text clears the field, as for the related objects.
          wanted.customFields.set(name, raw == '""' ? "null" : JsonDocument.fromString(raw).root().compactText());
        }
      } else {
        reader.skip();
      }
    }
    if (reader.failed) {
      page.result(wanted.hostname, HostResultStatus.Failed, "its outcomes are malformed: " + reader.error);
      return true;
    }
    if (this.current.has(wanted.hostname)) wanted.current = this.current.get(wanted.hostname);
    this.hosts.push(wanted);
    return true;
  }

  finish(page: ExportPage): bool {
    if (!this.resolve()) return false;
    const creates = new Array<Wanted>();
    const updates = new Array<Wanted>();
    for (let i = 0; i < this.hosts.length; i++) {
      const host = this.hosts[i];
      if (host.failed) continue;
      if (host.current === null) {
        const lacking = this.lacking(host);
        if (lacking.length > 0) host.refuse("a new " + this.kind.noun + " needs " + lacking + ": the rules for target netbox give none");
        else creates.push(host);
      } else if (this.diff(host)) updates.push(host);
    }
    const writes = new BulkWrites(this.settings, this.kind);
    if (creates.length > 0) {
      if (!writes.leaveForeign(creates)) return this.fail(writes.failKind, writes.failMessage);
      if (!this.ownTagFor(creates)) return false;
    }
    const sending = new Array<Wanted>();
    for (let i = 0; i < creates.length; i++) {
      if (creates[i].result != HostResultStatus.Skipped) {
        this.createBody(creates[i]);
        sending.push(creates[i]);
      }
    }
    if (!writes.write("POST", sending, true) || !writes.write("PATCH", updates, false)) return this.fail(writes.failKind, writes.failMessage);
    this.lookups.save(lookupPrefix(this.kind.devices), true);
    for (let i = 0; i < this.hosts.length; i++) page.result(this.hosts[i].hostname, this.hosts[i].result, this.hosts[i].message);
    return true;
  }

  /** What NetBox requires of a new object that the host lacks: "" when nothing. */
  private lacking(host: Wanted): string {
    if (!this.kind.devices) return hasRef(host, "site") || hasRef(host, "cluster") ? "" : "a site or a cluster";
    const missing = new Array<string>();
    if (!hasRef(host, "site")) missing.push("site");
    if (!hasRef(host, "role")) missing.push("role");
    if (!hasRef(host, "device_type")) missing.push("device_type");
    return missing.length == 0 ? "" : "a " + missing.join(", a ");
  }

  private tableOf(field: string): Table {
    if (field == "site") return this.lookups.site;
    if (field == "role") return this.lookups.role;
    if (field == "device_type") return this.lookups.deviceType;
    if (field == "platform") return this.lookups.platform;
    if (field == "cluster") return this.lookups.cluster;
    return this.lookups.tenant;
  }

  /**
   * Every name the page's hosts give, as an id: the missing ones made first when create_missing allows (each
   * once, whichever hosts need it); a host naming one that is missing fails. False when NetBox refused the
   * token or could not be reached.
   */
  private resolve(): bool {
    const refused = new Map<string, string>();
    for (let i = 0; i < this.hosts.length; i++) {
      const host = this.hosts[i];
      const fields = host.refTexts.keys();
      for (let f = 0; f < fields.length; f++) {
        const text = host.refTexts.get(fields[f]);
        if (text.length == 0) {
          host.refIds.set(fields[f], 0);
          continue;
        }
        const table = this.tableOf(fields[f]);
        let id = table.find(text);
        if (id == 0) {
          const key = fields[f] + "\n" + text;
          if (refused.has(key)) {
            host.refuse(refused.get(key));
            break;
          }
          if (!this.settings.createMissing || !table.creatable) {
            const why = "the " + table.noun + " '" + text + "' is not in NetBox" + (table.creatable ? " (create_missing is off)" : "");
            refused.set(key, why);
            host.refuse(why);
            break;
          }
          let manufacturer: i64 = 0;
          if (table === this.lookups.deviceType) {
            const name = host.manufacturer.length > 0 ? host.manufacturer : DEFAULT_MANUFACTURER;
            manufacturer = this.lookups.manufacturer.find(name);
            if (manufacturer == 0) manufacturer = this.make(this.lookups.manufacturer, name);
            if (manufacturer == 0) {
              if (this.lookups.fatalKind.length > 0) return this.fail(this.lookups.fatalKind, this.lookups.problem);
              refused.set(key, this.lookups.problem);
              host.refuse(this.lookups.problem);
              break;
            }
          }
          id = this.make(table, text, manufacturer);
          if (id == 0) {
            if (this.lookups.fatalKind.length > 0) return this.fail(this.lookups.fatalKind, this.lookups.problem);
            refused.set(key, this.lookups.problem);
            host.refuse(this.lookups.problem);
            break;
          }
        }
        host.refIds.set(fields[f], id);
      }
      if (host.failed || !host.hasTags) continue;
      for (let t = 0; t < host.tagTexts.length; t++) {
        const id = this.lookups.tag.find(host.tagTexts[t]);
        if (id == 0) {
          host.refuse("the tag '" + host.tagTexts[t] + "' is not in NetBox");
          break;
        }
        if (!host.tagIds.includes(id)) host.tagIds.push(id);
      }
    }
    return true;
  }

  private make(table: Table, name: string, manufacturer: i64 = 0): i64 {
    const id = this.lookups.create(table, name, this.settings, this.dryRun, manufacturer);
    if (id != 0) log.info((this.dryRun ? "would create the " : "created the ") + table.noun + " '" + name + "'");
    return id;
  }

  /** The ownership tag, made when some of the hosts are still to be created and NetBox lacks it: false when the call failed. */
  private ownTagFor(creates: Wanted[]): bool {
    for (let i = 0; i < creates.length; i++) if (!creates[i].failed && creates[i].result != HostResultStatus.Skipped) return this.ownTag() != 0;
    return true;
  }

  /** The ownership tag's id, made when NetBox lacks it; 0 when it could not be made (the call has failed). */
  private ownTag(): i64 {
    const id = this.lookups.tag.find(this.settings.tag);
    if (id != 0) return id;
    const made = this.make(this.lookups.tag, this.settings.tag);
    if (made == 0) this.fail(this.lookups.fatalKind.length > 0 ? this.lookups.fatalKind : ErrorKind.Runtime, this.lookups.problem);
    return made;
  }

  /** The host's tags as sent: the rules' tags and the ownership tag, sorted. */
  private tagsOf(host: Wanted, own: i64): i64[] {
    const tags = host.tagIds.slice(0);
    if (!tags.includes(own)) tags.push(own);
    tags.sort();
    return tags;
  }

  /** Whether an owned object differs from what its host wants; if so its PATCH body and the changes as its message. */
  private diff(host: Wanted): bool {
    const current = host.current!;
    const changes = new Array<string>();
    const body = new JsonWriter(256);
    body.beginObject();
    body.key("id");
    body.integer(current.id);
    const fields = host.refIds.keys();
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i];
      const wanted = host.refIds.get(field);
      const had = current.refs.has(field) ? current.refs.get(field) : 0;
      if (wanted == had) continue;
      const table = this.tableOf(field);
      changes.push(field + ": " + table.nameOf(had) + " → " + table.nameOf(wanted));
      body.key(field);
      if (wanted == 0) body.nullValue();
      else body.integer(wanted);
    }
    if (host.status.length > 0 && host.status != current.status) {
      changes.push("status: " + current.status + " → " + host.status);
      body.key("status");
      body.string(host.status);
    }
    if (host.hasTags) {
      const tags = this.tagsOf(host, this.lookups.tag.find(this.settings.tag));
      const had = current.tags.slice(0);
      had.sort();
      if (!sameIds(tags, had)) {
        changes.push("tags: " + this.tagNames(had) + " → " + this.tagNames(tags));
        body.key("tags");
        writeIds(body, tags);
      }
    }
    const names = host.customFields.keys();
    let customFields = false;
    for (let i = 0; i < names.length; i++) {
      const wanted = host.customFields.get(names[i]);
      const had = current.customFields.has(names[i]) ? current.customFields.get(names[i]) : "null";
      if (wanted == had) continue;
      changes.push("custom_fields." + names[i] + ": " + had + " → " + wanted);
      if (!customFields) {
        body.key("custom_fields");
        body.beginObject();
        customFields = true;
      }
      body.key(names[i]);
      body.raw(wanted);
    }
    if (customFields) body.endObject();
    body.endObject();
    if (changes.length == 0) return false;
    host.result = HostResultStatus.Updated;
    host.message = changes.join("; ");
    host.body = body.toString();
    return true;
  }

  private tagNames(ids: i64[]): string {
    const names = new Array<string>();
    for (let i = 0; i < ids.length; i++) names.push(this.lookups.tag.nameOf(ids[i]));
    return names.length == 0 ? "(none)" : names.join(",");
  }

  /** The POST body of an object to create; in a dry run its fields are the host's message. */
  private createBody(host: Wanted): void {
    const own = this.lookups.tag.find(this.settings.tag);
    const shown = new Array<string>();
    const body = new JsonWriter(256);
    body.beginObject();
    body.key("name");
    body.string(host.hostname);
    const fields = host.refIds.keys();
    for (let i = 0; i < fields.length; i++) {
      const id = host.refIds.get(fields[i]);
      if (id == 0) continue;
      body.key(fields[i]);
      body.integer(id);
      shown.push(fields[i] + ": " + this.tableOf(fields[i]).nameOf(id));
    }
    if (host.status.length > 0) {
      body.key("status");
      body.string(host.status);
      shown.push("status: " + host.status);
    }
    const tags = this.tagsOf(host, own);
    body.key("tags");
    writeIds(body, tags);
    shown.push("tags: " + this.tagNames(tags));
    const names = host.customFields.keys();
    if (names.length > 0) {
      body.key("custom_fields");
      body.beginObject();
      for (let i = 0; i < names.length; i++) {
        body.key(names[i]);
        body.raw(host.customFields.get(names[i]));
        shown.push("custom_fields." + names[i] + ": " + host.customFields.get(names[i]));
      }
      body.endObject();
    }
    body.endObject();
    host.body = body.toString();
    host.result = HostResultStatus.Created;
    if (this.dryRun) host.message = shown.join("; ");
  }
}

/** An outcome's value as text: a string trimmed, null as "", a number or boolean as written. */
function textOf(reader: JsonReader): string {
  const kind = reader.kind();
  if (kind == JsonKind.String) return reader.string().trim();
  if (kind == JsonKind.Null) {
    reader.skip();
    return "";
  }
  if (!reader.capture()) return "";
  return String.UTF8.decodeUnsafe(reader.valuePtr, <usize>reader.valueLength);
}
