// A Syncer import plugin (ABI v1). Each command is an exported function: read the request, do the work,
// write the answer or fail with a kind. See the SDK in ../sdk and the guide in Syncer's docs/plugins.md.
import { request, output, fail, log, http, JSON, ErrorKind } from "../sdk/index";

/** One host as this plugin reports it to Syncer. */
@json
class HostRecord {
  hostname: string = "";
  labels: Map<string, string> = new Map<string, string>();
}

/** One page of hosts. Syncer calls again with input.page = next until next is null; this API has one page. */
@json
class ImportPage {
  hosts: HostRecord[] = [];
  next: string | null = null;
}

/** One host as the API lists it. */
@json
class ApiHost {
  name: string = "";
  @optional site: string = "";
  @optional role: string = "";
}

export function import_hosts(): i32 {
  const account = request().account;
  if (account === null) return fail(ErrorKind.Options, "import_hosts needs an account");

  const headers = new Map<string, string>();
  headers.set("Authorization", "Bearer " + account.password);
  const response = http.get(account.address + account.optionString("path", "/api/hosts"), headers);
  const problem = response.error;
  if (problem !== null) return fail(problem.kind, problem.message);
  if (response.status == 401 || response.status == 403) return fail(ErrorKind.Auth, "the API refused the token (HTTP " + response.status.toString() + ")");
  if (response.status != 200) return fail(ErrorKind.Connection, "the API answered HTTP " + response.status.toString());

  const siteLabel = account.optionString("site_label", "site");
  const page = new ImportPage();
  const listed = JSON.parse<ApiHost[]>(response.body);
  for (let i = 0; i < listed.length; i++) {
    const item = listed[i];
    const record = new HostRecord();
    record.hostname = item.name;
    if (item.site.length > 0) record.labels.set(siteLabel, item.site);
    if (item.role.length > 0) record.labels.set("role", item.role);
    page.hosts.push(record);
  }
  log.info("listed " + page.hosts.length.toString() + " hosts");
  output<ImportPage>(page);
  return 0;
}
