// The writes of an export page: the name lookup that finds objects people made under the names about to be
// created, and the bulk requests (list POST, list PATCH with ids) in chunks, with NetBox's refusals per object.
import { ErrorKind, HostResultStatus, JsonKind, JsonWriter, Query, log } from "../../sdk/index";
import { ObjectKind } from "./kinds";
import { ListAnswer } from "./list";
import { errorBody, fieldMessages, isFatal, problemOf } from "./problem";
import { Settings } from "./settings";
import { Wanted } from "./wanted";

/** Longest query string of a name lookup (the host's limit on a URL is 8192). */
const LOOKUP_URL_BUDGET = 6000;

export class BulkWrites {
  failKind: string = "";
  failMessage: string = "";

  constructor(
    private settings: Settings,
    private kind: ObjectKind,
  ) {}

  /** Fails the call (see failKind); returns false, for `return this.fail(…)`. */
  fail(kind: string, message: string): bool {
    this.failKind = kind;
    this.failMessage = message;
    return false;
  }

  /**
   * Objects NetBox has under the names of those to create but that Syncer does not own (people made them,
   * or they lack the tag): those hosts are skipped, the objects left alone. One GET per some hundred names.
   * False when the call must fail (failKind, failMessage).
   */
  leaveForeign(creates: Wanted[]): bool {
    const byName = new Map<string, Wanted>();
    for (let i = 0; i < creates.length; i++) byName.set(creates[i].hostname, creates[i]);
    let from = 0;
    while (from < creates.length) {
      const names = new Array<string>();
      let length = 0;
      let to = from;
      while (to < creates.length && (to == from || length < LOOKUP_URL_BUDGET)) {
        const name = creates[to].hostname;
        names.push(name);
        length += name.length * 3 + 6;
        to++;
      }
      if (!this.lookUp(names, byName)) return false;
      from = to;
    }
    return true;
  }

  private lookUp(names: string[], byName: Map<string, Wanted>): bool {
    let offset: i64 = 0;
    for (;;) {
      const query = new Query();
      for (let i = 0; i < names.length; i++) query.set("name", names[i]);
      query.setInt("limit", 1000).setInt("offset", offset);
      const answer = this.settings.api.get(this.kind.path, query);
      if (!answer.ok) return this.fail(answer.errorKind, "looking up " + this.kind.noun + "s by name: " + problemOf(answer));
      const reader = answer.document!.readerAt(0);
      const list = new ListAnswer(reader);
      while (list.next()) {
        let name = "";
        let id: i64 = 0;
        reader.beginObject();
        while (reader.nextKey()) {
          if (reader.keyIs("name") && reader.kind() == JsonKind.String) name = reader.string();
          else if (reader.keyIs("id") && reader.kind() == JsonKind.Number) id = reader.integer();
          else reader.skip();
        }
        if (!byName.has(name)) continue;
        const host = byName.get(name);
        host.result = HostResultStatus.Skipped;
        host.message = "NetBox has a " + this.kind.noun + " " + name + " (id " + id.toString() + ") without the tag " + this.settings.tag + " (made by people): left alone";
      }
      if (reader.failed) return this.fail(ErrorKind.Parser, "the answer of GET " + answer.url + ": " + reader.error);
      if (!list.more || list.count == 0) break;
      offset += list.count;
    }
    return true;
  }

  /**
   * Sends the hosts' bodies in chunks (POST creates, PATCH updates with ids). A 400 names what NetBox refused:
   * for a bulk create, per object (the others are sent again); for a bulk update, only the first bad object's
   * fields without saying which, so each object of the chunk is sent alone to find it. Other errors fail the
   * chunk's hosts; a refused token or an unreachable NetBox fails the call.
   */
  write(method: string, hosts: Wanted[], create: bool): bool {
    const size = this.settings.chunkSize;
    for (let from = 0; from < hosts.length; from += size) {
      const chunk = hosts.slice(from, min(from + size, hosts.length));
      if (!this.send(method, chunk, create, true)) return false;
    }
    return true;
  }

  private send(method: string, chunk: Wanted[], create: bool, again: bool): bool {
    if (chunk.length == 0) return true;
    const body = new JsonWriter(chunk.length * 256);
    body.beginArray();
    for (let i = 0; i < chunk.length; i++) body.raw(chunk[i].body);
    body.endArray();
    const answer = this.settings.api.send(method, this.kind.path, body);
    if (answer.ok) return true;
    if (isFatal(answer)) return this.fail(answer.errorKind, (create ? "bulk create" : "bulk update") + " of " + chunk.length.toString() + " " + this.kind.noun + "s: " + problemOf(answer));
    const what = create ? "NetBox refused to create it: " : "NetBox refused the update: ";
    const errors = answer.status == 400 ? errorBody(answer) : null;
    if (errors !== null && errors.kind == JsonKind.Array && create) {
      const items = errors.elements();
      const fine = new Array<Wanted>();
      for (let i = 0; i < chunk.length; i++) {
        if (i < items.length && items[i].kind == JsonKind.Object && items[i].members().length > 0) chunk[i].refuse(what + fieldMessages(items[i]));
        else fine.push(chunk[i]);
      }
      if (fine.length == chunk.length || !again) return refuseAll(chunk, what + problemOf(answer));
      return this.send(method, fine, create, false);
    }
    if (errors !== null && chunk.length > 1) {
      for (let i = 0; i < chunk.length; i++) if (!this.send(method, [chunk[i]], create, false)) return false;
      return true;
    }
    return refuseAll(chunk, what + (errors !== null && errors.kind == JsonKind.Object ? fieldMessages(errors) : problemOf(answer)));
  }
}

function refuseAll(chunk: Wanted[], message: string): bool {
  if (chunk.length > 1) log.error(chunk.length.toString() + " objects: " + message);
  for (let i = 0; i < chunk.length; i++) if (!chunk[i].failed) chunk[i].refuse(message);
  return true;
}
