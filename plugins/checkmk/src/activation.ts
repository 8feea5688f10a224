// Activating the site's pending changes: If-Match with the pending changes' ETag (so changes made
// meanwhile are not activated unseen), then Checkmk's wait-for-completion until it answers done.
import { JsonKind, JsonReader, JsonValue, JsonWriter } from "../../sdk/index";
import { problemOf } from "./problem";
import { Settings } from "./settings";

export class Activation {
  ok: bool = true;
  errorKind: string = "";
  /** What happened, for the run log. */
  message: string = "";
}

function failed(kind: string, message: string): Activation {
  const result = new Activation();
  result.ok = false;
  result.errorKind = kind;
  result.message = message;
  return result;
}

function done(message: string): Activation {
  const result = new Activation();
  result.message = message;
  return result;
}

export function activate(settings: Settings, dryRun: bool): Activation {
  const pending = settings.api.get("/domain-types/activation_run/collections/pending_changes");
  if (!pending.ok) return failed(pending.errorKind, "reading the pending changes: " + problemOf(pending));
  const count = countValue(pending.document!.readerAt(0));
  if (count == 0 && !dryRun) return done("nothing to activate: the site has no pending changes");
  if (dryRun) return done("would activate the site's pending changes");
  const body = new JsonWriter(128);
  body.beginObject();
  body.key("redirect");
  body.boolean(false);
  body.key("sites");
  body.beginArray();
  body.endArray();
  body.key("force_foreign_changes");
  body.boolean(settings.forceForeign);
  body.endObject();
  const started = settings.api.send("POST", "/domain-types/activation_run/actions/activate-changes/invoke", body, pending.etag.length > 0 ? pending.etag : "*");
  if (!started.ok) return failed(started.errorKind, "starting the activation of " + count.toString() + " pending changes: " + problemOf(started));
  const id: string | null = started.document === null ? null : started.document!.root().stringAt("id");
  if (id === null) return failed("parser", "the activation's answer has no id");
  const path = "/objects/activation_run/" + encodeURIComponent(id!);
  for (let round = 0; round < settings.waitRounds; round++) {
    const waited = settings.api.get(path + "/actions/wait-for-completion/invoke");
    if (waited.ok) return done("activated " + count.toString() + " pending changes (activation " + id! + ")");
    // Still running after the hops Checkmk's redirects allow, or an error: the activation's own state says which.
    const shown = settings.api.get(path);
    if (!shown.ok) return failed(shown.errorKind, "following the activation " + id! + ": " + problemOf(shown));
    const extensions = shown.document!.root().member("extensions");
    const running: JsonValue | null = extensions === null ? null : extensions.member("is_running");
    if (running === null || running.kind != JsonKind.Bool || running.rawText() == "false") {
      return done("activated " + count.toString() + " pending changes (activation " + id! + ")");
    }
  }
  return failed("timeout", "the activation " + id! + " is still running after " + settings.waitRounds.toString() + " waits; see the site's activation log");
}

/** The items of a collection's `value`, counted in one pass (a site's pending changes after a large export are 100k). */
function countValue(reader: JsonReader): i32 {
  let count = 0;
  if (!reader.beginObject()) return 0;
  while (reader.nextKey()) {
    if (!reader.keyIs("value") || reader.kind() != JsonKind.Array) {
      reader.skip();
      continue;
    }
    reader.beginArray();
    while (reader.nextItem()) {
      reader.skip();
      count++;
    }
  }
  return count;
}
