// A Syncer export plugin (ABI v1). Syncer calls export_hosts once per page of hosts, each host with the
// labels and inventory the rules resolved for this target; the plugin answers one result per host.
// See the SDK in ../sdk and the guide in Syncer's docs/plugins.md.
import { request, output, fail, log, http, JSON, ErrorKind } from "../sdk/index";

/** One host as Syncer sends it to this target. */
@json
class Host {
  hostname: string = "";
  labels: Map<string, string> = new Map<string, string>();
  inventory: Map<string, JSON.Raw> = new Map<string, JSON.Raw>();
}

/** The input of an export command: one page of hosts. */
@json
class ExportPage {
  page: i32 = 0;
  hosts: Host[] = [];
}

/** What the API is sent for one host. */
@json
class ApiHost {
  name: string = "";
  labels: Map<string, string> = new Map<string, string>();
}

/** One host's outcome: created, updated, unchanged, skipped, deleted or failed (with a message). */
@json
class HostResult {
  hostname: string = "";
  status: string = "";
  @omitif((self: HostResult) => self.message.length == 0) message: string = "";
}

@json
class ExportAnswer {
  results: HostResult[] = [];
}

export function export_hosts(): i32 {
  const req = request();
  const account = req.account;
  if (account === null) return fail(ErrorKind.Options, "export_hosts needs an account");
  const page = req.inputAs<ExportPage>();

  const headers = new Map<string, string>();
  headers.set("Authorization", "Bearer " + account.password);
  headers.set("Content-Type", "application/json");
  const collection = account.address + account.optionString("path", "/api/hosts");
  const answer = new ExportAnswer();
  for (let i = 0; i < page.hosts.length; i++) {
    const host = page.hosts[i];
    const body = new ApiHost();
    body.name = host.hostname;
    body.labels = host.labels;
    // In a dry run (`--dry-run`) Syncer does not send this PUT: it answers 200 itself.
    const response = http.request("PUT", collection + "/" + host.hostname, headers, JSON.stringify(body));
    const problem = response.error;
    if (problem !== null) return fail(problem.kind, problem.message);
    if (response.status == 401 || response.status == 403) return fail(ErrorKind.Auth, "the API refused the token (HTTP " + response.status.toString() + ")");
    const result = new HostResult();
    result.hostname = host.hostname;
    if (response.status == 201) result.status = "created";
    else if (response.status == 200) result.status = "updated";
    else if (response.status == 204) result.status = "unchanged";
    else {
      result.status = "failed";
      result.message = "the API answered HTTP " + response.status.toString() + ": " + response.body;
    }
    answer.results.push(result);
  }
  log.info("sent " + page.hosts.length.toString() + " hosts");
  output<ExportAnswer>(answer);
  return 0;
}
