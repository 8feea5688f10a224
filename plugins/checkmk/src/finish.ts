// The finish phase: the hosts Syncer made that it no longer exports, deleted in bulk; then, on the last
// call, an activation when the run changed something (option activate).
import { ErrorKind, HostResultStatus, JsonDocument, JsonKind, JsonWriter, fail, log, request } from "../../sdk/index";
import { activate } from "./activation";
import { problemOf } from "./problem";
import { settingsOf } from "./settings";

export function finishExport(): i32 {
  const call = request();
  if (call.account === null) return fail(ErrorKind.Options, "an export needs an account");
  const settings = settingsOf(call.account!);
  if (settings.problem.length > 0) return fail(ErrorKind.Options, settings.problem);
  const input = JsonDocument.fromString(call.input.data).root();
  const gone = input.member("delete");
  const names = new Array<string>();
  if (gone !== null) {
    const entries = gone.elements();
    for (let i = 0; i < entries.length; i++) {
      const name = entries[i].stringAt("hostname");
      if (name !== null) names.push(name!);
    }
  }
  const changedValue = input.member("changed");
  const lastValue = input.member("last");
  const changed = changedValue !== null && changedValue.kind == JsonKind.Bool && changedValue.rawText() == "true";
  const last = lastValue !== null && lastValue.kind == JsonKind.Bool && lastValue.rawText() == "true";

  const results = new JsonWriter(names.length * 64 + 64);
  results.beginObject();
  results.key("results");
  results.beginArray();
  let deleted = 0;
  for (let from = 0; from < names.length; from += settings.deleteChunk) {
    const chunk = names.slice(from, min(from + settings.deleteChunk, names.length));
    const body = new JsonWriter(chunk.length * 64);
    body.beginObject();
    body.key("entries");
    body.beginArray();
    for (let i = 0; i < chunk.length; i++) body.string(chunk[i]);
    body.endArray();
    body.endObject();
    const answer = settings.api.send("POST", "/domain-types/host_config/actions/bulk-delete/invoke", body);
    const message = answer.ok ? "" : "bulk delete of " + chunk.length.toString() + " hosts refused: " + problemOf(answer);
    if (!answer.ok) log.error(message);
    else deleted += chunk.length;
    for (let i = 0; i < chunk.length; i++) {
      results.beginObject();
      results.key("hostname");
      results.string(chunk[i]);
      results.key("status");
      results.string(answer.ok ? HostResultStatus.Deleted : HostResultStatus.Failed);
      if (!answer.ok) {
        results.key("message");
        results.string(message);
      }
      results.endObject();
    }
  }
  results.endArray();
  results.endObject();

  if (last && settings.activate && (changed || deleted > 0)) {
    const activation = activate(settings, call.dry_run);
    if (activation.ok) log.info(activation.message);
    else log.error("activation failed (" + activation.errorKind + "): " + activation.message + "; run `syncer checkmk activate_changes " + settings.account + "` once the cause is fixed");
  }
  results.output();
  return 0;
}
