// A Syncer hook plugin (ABI v1). Before an import writes its changes, Syncer hands each page of them to
// pre_update hooks, which answer null (go on), the changes rewritten, or {"reject": "why"} (the run
// fails and writes nothing). See the SDK in ../sdk and the guide in Syncer's docs/plugins.md.
import { request, output, outputString, JSON } from "../sdk/index";

/** A host's labels and inventory, before (old) or after (new) a change. */
@json
class HostState {
  labels: Map<string, string> = new Map<string, string>();
  inventory: Map<string, JSON.Raw> = new Map<string, JSON.Raw>();
}

/** One change a run is about to write. */
@json
class HostChange {
  hostname: string = "";
  action: string = "";
  account: string | null = null;
  old: HostState | null = null;
  new: HostState | null = null;
}

/** The input of a hook: the event and one page of changes. */
@json
class HookInput {
  event: string = "";
  changes: HostChange[] = [];
}

/** The answer that rewrites the changes: all of them, as they should be written. */
@json
class Rewritten {
  changes: HostChange[] = [];
}

export function pre_update(): i32 {
  const req = request();
  const label = req.optionString("label", "site");
  const fallback = req.optionString("default_site", "unassigned");
  const input = req.inputAs<HookInput>();
  let rewritten = false;
  for (let i = 0; i < input.changes.length; i++) {
    const after = input.changes[i].new;
    if (after === null || after.labels.has(label)) continue;
    after.labels.set(label, fallback);
    rewritten = true;
  }
  if (!rewritten) {
    outputString("null");
    return 0;
  }
  const answer = new Rewritten();
  answer.changes = input.changes;
  output<Rewritten>(answer);
  return 0;
}
