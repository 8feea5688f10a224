// A Syncer import plugin (ABI v1): an importer. The SDK in ../sdk reads the request, keeps the paging and
// writes the answer; this file reads one page of the upstream and maps its records to hosts.
// The guide: Syncer's docs/plugins.md.
import { ErrorKind, HostRecord, ImportPage, Importer, JsonApi, log, runImport } from "../sdk/index";

class ApiHosts extends Importer {
  fetch(page: ImportPage): bool {
    const account = page.account;
    const api = new JsonApi(account.address).header("Authorization", "Bearer " + account.password);
    const answer = api.get(account.optionString("path", "/api/hosts"));
    // Unreachable, refused (401/403: auth), another HTTP error, a body that is not JSON: each has its kind.
    if (!answer.ok) return page.fail(answer.errorKind, answer.errorMessage);

    const siteLabel = account.optionString("site_label", "site");
    const items = answer.document!.root().elements();
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      const name = item.stringAt("name");
      if (name === null) return page.fail(ErrorKind.Parser, "item " + i.toString() + " of the API's list has no name");
      const record = new HostRecord();
      record.hostname = name;
      const site = item.stringAt("site");
      if (site !== null) record.labels.set(siteLabel, site);
      const role = item.stringAt("role");
      if (role !== null) record.labels.set("role", role);
      page.add(record);
    }
    log.info("listed " + items.length.toString() + " hosts");
    // page.next stays null: this API lists every host in one answer.
    return true;
  }
}

export function import_hosts(): i32 {
  return runImport(new ApiHosts());
}
