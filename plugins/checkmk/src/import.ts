// import_hosts: the hosts of the site as Syncer hosts, a folder per page (the site's host collection has no
// paging; a folder's hosts come in one request): the labels as labels (the label prefix taken off, the
// ownership label left out), the folder and the other attributes as inventory (meta_data left out).
import { ErrorKind, ImportPage, Importer, JsonKind, JsonValue, JsonWriter } from "../../sdk/index";
import { foldersOf } from "./folders";
import { problemOf } from "./problem";
import { OWNER_LABEL, Settings, folderHostsPath, settingsOf } from "./settings";

export class SiteImporter extends Importer {
  fetch(page: ImportPage): bool {
    const settings = settingsOf(page.account);
    if (settings.problem.length > 0) return page.fail(ErrorKind.Options, settings.problem);
    const folders = foldersOf(settings);
    if (folders.problem.length > 0) return page.fail(folders.errorKind, folders.problem);
    const at = page.offset("a folder index");
    if (at < 0) return false;
    if (at >= folders.paths.length) return true;
    const folder = folders.paths[<i32>at];
    const answer = settings.api.get(folderHostsPath(folder));
    if (!answer.ok) return page.fail(answer.errorKind, "reading the hosts of folder " + folder + ": " + problemOf(answer));
    const hosts = answer.document!.root().member("value");
    if (hosts === null || hosts.kind != JsonKind.Array) return page.fail(ErrorKind.Parser, "the hosts of folder " + folder + " come without a list (value)");
    const entries = hosts.elements();
    for (let i = 0; i < entries.length; i++) {
      const name = entries[i].stringAt("id");
      if (name === null) return page.fail(ErrorKind.Parser, "host " + (i + 1).toString() + " of folder " + folder + " has no id");
      const extensions = entries[i].member("extensions");
      const attributes: JsonValue | null = extensions === null ? null : extensions.member("attributes");
      writeHost(page.beginHost(), name!, folder, attributes, settings);
      page.endHost();
    }
    page.next = at + 1 < folders.paths.length ? (at + 1).toString() : null;
    return true;
  }
}

function writeHost(writer: JsonWriter, name: string, folder: string, attributes: JsonValue | null, settings: Settings): void {
  writer.key("hostname");
  writer.string(name);
  writer.key("labels");
  writer.beginObject();
  const labels: JsonValue | null = attributes === null ? null : attributes.member("labels");
  if (labels !== null && labels.kind == JsonKind.Object) {
    const members = labels.members();
    for (let i = 0; i < members.length; i++) {
      let key = members[i].key;
      if (key == OWNER_LABEL || members[i].value.kind != JsonKind.String) continue;
      if (settings.labelPrefix.length > 0 && key.startsWith(settings.labelPrefix)) key = key.substring(settings.labelPrefix.length);
      writer.key(key);
      writer.string(members[i].value.asString());
    }
  }
  writer.endObject();
  writer.key("inventory");
  writer.beginObject();
  writer.key("folder");
  writer.string(folder);
  if (attributes !== null && attributes.kind == JsonKind.Object) {
    const members = attributes.members();
    for (let i = 0; i < members.length; i++) {
      const key = members[i].key;
      if (key == "labels" || key == "meta_data" || key == "folder") continue;
      const value = members[i].value;
      const kind = value.kind;
      writer.key(key);
      // Inventory holds scalars: a structured attribute (a network scan's settings, say) as its JSON text.
      if (kind == JsonKind.String || kind == JsonKind.Number || kind == JsonKind.Bool || kind == JsonKind.Null) writer.raw(value.compactText());
      else writer.string(value.compactText());
    }
  }
  writer.endObject();
}
