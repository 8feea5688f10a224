import type { EligiblePage } from "../db/hosts.ts";
import type { TargetRules } from "../rules/evaluate.ts";
import type { HostData } from "../rules/host.ts";
import type { FunctionCaller } from "../rules/plugin-functions.ts";

// A stored page is UTF-8 bytes (as SQLite gives it); a rewritten page is encoded the same way, its hostnames one a line.
const utf8 = new TextDecoder();
const encoder = new TextEncoder();

/** A page of hosts as one target receives it, with the hosts the rules left out or failed on. */
export interface TargetPage {
  /** The hosts the target gets, each with its filtered and rewritten labels and inventory and its outcomes. */
  page: EligiblePage;
  /** Hosts a rule gave ignore_host = true. */
  ignored: number;
  /** Hosts whose rules failed (a template error, a plugin's filter or test failing on their value), each with the rule and why. */
  failed: { hostname: string; message: string }[];
}

/**
 * The seam between reading hosts and sending them to a plugin (an export's pages, an inventory's): the
 * target's rules applied to each host of a stored page, the plugin filters and tests they use answered
 * for the whole page at once (`call`). A target without rules, filter or rewrites gets the stored page
 * as it is, unparsed. `last` stays the stored page's, so paging goes on after a page whose hosts were
 * all left out.
 */
export async function pageForTarget(rules: TargetRules, stored: EligiblePage, call: FunctionCaller): Promise<TargetPage> {
  if (rules.passThrough || stored.count === 0) return { page: stored, ignored: 0, failed: [] };
  const views: string[] = [];
  const hostnames: string[] = [];
  const failed: TargetPage["failed"] = [];
  let ignored = 0;
  const hosts = JSON.parse(utf8.decode(stored.json)) as HostData[];
  for (const outcome of await rules.evaluateAll(hosts, call)) {
    if (!outcome.ok) failed.push({ hostname: outcome.hostname, message: outcome.message });
    else if (outcome.ignored) ignored++;
    else {
      views.push(JSON.stringify(outcome.host));
      hostnames.push(outcome.host.hostname);
    }
  }
  const page = { json: encoder.encode(`[${views.join(",")}]`), count: views.length, hostnames: encoder.encode(hostnames.join("\n")), last: stored.last };
  return { page, ignored, failed };
}
