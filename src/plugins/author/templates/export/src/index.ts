// A Syncer export plugin (ABI v1): an exporter. Syncer sends export_hosts a page of hosts at a time, each
// with the labels, inventory and outcomes the rules resolved for this target; the SDK in ../sdk reads
// them one by one and writes the answer, this file brings the API in line with each host.
// The guide: Syncer's docs/plugins.md.
import { ExportPage, Exporter, HostEntry, HostResultStatus, JsonApi, JsonWriter, log, runExport } from "../sdk/index";

class ApiHosts extends Exporter {
  api: JsonApi = new JsonApi("");
  collection: string = "";

  start(page: ExportPage): bool {
    const account = page.request.account;
    if (account === null) return this.fail("options", "export_hosts needs an account");
    this.api = new JsonApi(account.address).header("Authorization", "Bearer " + account.password);
    this.collection = account.optionString("path", "/api/hosts");
    return true;
  }

  export(host: HostEntry, page: ExportPage): bool {
    const name = host.hostname;
    const body = new JsonWriter(256);
    body.beginObject();
    body.key("name");
    body.string(name);
    body.key("labels");
    body.beginObject();
    const labels = host.labels();
    const keys = labels.keys();
    for (let i = 0; i < keys.length; i++) {
      body.key(keys[i]);
      body.string(labels.get(keys[i]));
    }
    body.endObject();
    body.endObject();

    // In a dry run (`--dry-run`) Syncer does not send this PUT: it answers 200 itself.
    const answer = this.api.send("PUT", this.collection + "/" + encodeURIComponent(name), body);
    // Unreachable or refused (401/403: auth) stops the page; another HTTP error fails this host alone.
    if (answer.status == 0 || answer.errorKind == "auth") return this.fail(answer.errorKind, answer.errorMessage);
    if (answer.status == 201) page.result(name, HostResultStatus.Created);
    else if (answer.status == 204) page.result(name, HostResultStatus.Unchanged);
    else if (answer.ok) page.result(name, HostResultStatus.Updated);
    else page.result(name, HostResultStatus.Failed, "the API answered HTTP " + answer.status.toString() + ": " + answer.body);
    return true;
  }

  finish(page: ExportPage): bool {
    log.info("sent " + page.count.toString() + " hosts");
    return true;
  }
}

export function export_hosts(): i32 {
  return runExport(new ApiHosts());
}
