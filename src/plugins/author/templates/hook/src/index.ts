// A Syncer hook plugin (ABI v1). Before an import writes its changes, Syncer hands each page of them to
// pre_update hooks ({"event", "changes": [HostChange…]}), which answer null (go on), the changes
// rewritten (a HookAnswer with changes), or a HookAnswer with a reject reason (the run fails and writes
// nothing). See the SDK in ../sdk and the guide in Syncer's docs/plugins.md.
import { ErrorKind, HookAnswer, HostChange, JsonWriter, fail, outputString, request } from "../sdk/index";

export function pre_update(): i32 {
  const call = request();
  const label = call.optionString("label", "site");
  const fallback = call.optionString("default_site", "unassigned");

  const changes = new Array<HostChange>();
  const input = call.input.reader();
  input.beginObject();
  while (input.nextKey()) {
    if (!input.keyIs("changes")) {
      input.skip();
      continue;
    }
    input.beginArray();
    while (input.nextItem()) changes.push(HostChange.read(input));
  }
  if (input.failed) return fail(ErrorKind.Parser, "the hook's input: " + input.error);

  let rewritten = false;
  for (let i = 0; i < changes.length; i++) {
    const after = changes[i].new;
    if (after === null || after.labels.has(label)) continue;
    after.labels.set(label, fallback);
    rewritten = true;
  }
  if (!rewritten) {
    outputString("null");
    return 0;
  }
  const answer = new HookAnswer();
  answer.changes = changes;
  const out = new JsonWriter(4096);
  answer.write(out);
  out.output();
  return 0;
}
