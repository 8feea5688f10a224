// The finish phase: the objects Syncer owns (tagged) whose hosts it no longer exports, deleted in bulk (list
// DELETE with ids), in chunks; a chunk NetBox refuses (an object still referenced, say) is tried one object at a
// time, so the others go. The daemon hands over only owned objects, and none past the delete cap.
import { ErrorKind, HostResultStatus, JsonDocument, JsonKind, JsonValue, JsonWriter, fail, kv, log, request } from "../../sdk/index";
import { ObjectKind } from "./kinds";
import { lookupPrefix } from "./lookups";
import { isFatal, problemOf } from "./problem";
import { Settings, settingsOf } from "./settings";

class Doomed {
  result: string = HostResultStatus.Deleted;
  message: string = "";
  constructor(
    public hostname: string,
    public id: i64,
  ) {}
}

export function finishExport(kind: ObjectKind): i32 {
  const call = request();
  if (call.account === null) return fail(ErrorKind.Options, "an export needs an account");
  const settings = settingsOf(call.account!);
  if (settings.problem.length > 0) return fail(ErrorKind.Options, settings.problem);
  const input = JsonDocument.fromString(call.input.data).root();
  const doomed = new Array<Doomed>();
  const gone = input.member("delete");
  if (gone !== null) {
    const entries = gone.elements();
    for (let i = 0; i < entries.length; i++) {
      const name = entries[i].stringAt("hostname");
      const state = entries[i].member("state");
      const id: JsonValue | null = state === null ? null : state!.member("id");
      if (name === null || id === null || id!.kind != JsonKind.Number) continue;
      const entry = new Doomed(name!, id!.reader().integer());
      if (call.dry_run) entry.message = "would delete " + kind.noun + " " + entry.id.toString() + " (tagged " + settings.tag + ")";
      doomed.push(entry);
    }
  }
  for (let from = 0; from < doomed.length; from += settings.chunkSize) {
    const problem = remove(doomed.slice(from, min(from + settings.chunkSize, doomed.length)), kind, settings);
    if (problem.length > 0) return fail(ErrorKind.Auth, problem);
  }
  const last = input.member("last");
  if (last !== null && last.kind == JsonKind.Bool && last.rawText() == "true") kv.flush(lookupPrefix(kind.devices));
  const results = new JsonWriter(doomed.length * 64 + 64);
  results.beginObject();
  results.key("results");
  results.beginArray();
  for (let i = 0; i < doomed.length; i++) {
    results.beginObject();
    results.key("hostname");
    results.string(doomed[i].hostname);
    results.key("status");
    results.string(doomed[i].result);
    if (doomed[i].message.length > 0) {
      results.key("message");
      results.string(doomed[i].message);
    }
    results.endObject();
  }
  results.endArray();
  results.endObject();
  results.output();
  return 0;
}

/** Deletes a chunk; "" unless NetBox refused the token (then the call fails with that). */
function remove(chunk: Doomed[], kind: ObjectKind, settings: Settings): string {
  const body = new JsonWriter(chunk.length * 16 + 8);
  body.beginArray();
  for (let i = 0; i < chunk.length; i++) {
    body.beginObject();
    body.key("id");
    body.integer(chunk[i].id);
    body.endObject();
  }
  body.endArray();
  const answer = settings.api.send("DELETE", kind.path, body);
  if (answer.ok) return "";
  if (answer.errorKind == "auth") return "bulk delete of " + chunk.length.toString() + " " + kind.noun + "s: " + problemOf(answer);
  if (chunk.length > 1 && !isFatal(answer)) {
    for (let i = 0; i < chunk.length; i++) {
      const problem = remove([chunk[i]], kind, settings);
      if (problem.length > 0) return problem;
    }
    return "";
  }
  const message = "NetBox refused to delete it: " + problemOf(answer);
  log.error(chunk.length.toString() + " " + kind.noun + "s: " + message);
  for (let i = 0; i < chunk.length; i++) {
    chunk[i].result = HostResultStatus.Failed;
    chunk[i].message = message;
  }
  return "";
}
