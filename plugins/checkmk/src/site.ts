// The begin phase: every host of the site, in one request (Checkmk's host collection has no paging),
// answered as the target's hosts: owned when labelled cmdb_syncer with this account's name, and as state
// the folder and the attributes (canonical, without meta_data) the export pages compare against.
import { ErrorKind, JsonKind, JsonValue, JsonWriter, fail, request } from "../../sdk/index";
import { writeCanonical } from "./canonical";
import { problemOf } from "./problem";
import { OWNER_LABEL, normalFolder, settingsOf } from "./settings";

export function readSite(): i32 {
  const call = request();
  if (call.account === null) return fail(ErrorKind.Options, "reading the site needs an account");
  const settings = settingsOf(call.account!);
  if (settings.problem.length > 0) return fail(ErrorKind.Options, settings.problem);
  const answer = settings.api.get("/domain-types/host_config/collections/all");
  if (!answer.ok) return fail(answer.errorKind, "reading the site's hosts: " + problemOf(answer));
  const hosts = answer.document!.root().member("value");
  if (hosts === null || hosts.kind != JsonKind.Array) return fail(ErrorKind.Parser, "the site's host collection has no list of hosts (value)");
  const writer = new JsonWriter(answer.body.length + 1024);
  writer.beginObject();
  writer.key("hosts");
  writer.beginArray();
  const entries = hosts.elements();
  for (let i = 0; i < entries.length; i++) {
    const name = entries[i].stringAt("id");
    const extensions = entries[i].member("extensions");
    if (name === null || extensions === null) return fail(ErrorKind.Parser, "host " + (i + 1).toString() + " of the site's host collection has no id or extensions");
    const attributes = extensions.member("attributes");
    const labels: JsonValue | null = attributes === null ? null : attributes.member("labels");
    const owner: string | null = labels === null ? null : labels.stringAt(OWNER_LABEL);
    const folder = extensions.stringAt("folder");
    const normal: string | null = folder === null ? "/" : normalFolder(folder!);
    writer.beginObject();
    writer.key("hostname");
    writer.string(name!);
    writer.key("owned");
    writer.boolean(owner !== null && owner! == settings.account);
    writer.key("state");
    writer.beginObject();
    writer.key("folder");
    writer.string(normal === null ? folder! : normal!);
    writer.key("attributes");
    if (attributes === null) writer.raw("{}");
    else writeCanonical(writer, attributes, "meta_data");
    writer.endObject();
    writer.endObject();
  }
  writer.endArray();
  writer.key("next");
  writer.nullValue();
  writer.endObject();
  writer.output();
  return 0;
}
