import type { EligiblePage } from "../db/hosts.ts";
import type { TargetRules } from "../rules/evaluate.ts";
import type { HostData } from "../rules/host.ts";

/** A page of hosts as one target receives it, with the hosts the rules left out or failed on. */
export interface TargetPage {
  /** The hosts the target gets, each with its filtered and rewritten labels and inventory and its outcomes. */
  page: EligiblePage;
  /** Hosts a rule gave ignore_host = true. */
  ignored: number;
  /** Hosts whose rules failed (a template error), each with the rule and why. */
  failed: { hostname: string; message: string }[];
}

/**
 * The seam between reading hosts and sending them to a plugin (an export's pages, an inventory's): the
 * target's rules applied to each host of a stored page. A target without rules, filter or rewrites gets
 * the stored page as it is, unparsed. `last` stays the stored page's, so paging goes on after a page
 * whose hosts were all left out.
 */
export function pageForTarget(rules: TargetRules, stored: EligiblePage): TargetPage {
  if (rules.passThrough || stored.count === 0) return { page: stored, ignored: 0, failed: [] };
  const views: string[] = [];
  const hostnames: string[] = [];
  const failed: TargetPage["failed"] = [];
  let ignored = 0;
  for (const host of JSON.parse(stored.json) as HostData[]) {
    const outcome = rules.evaluate(host);
    if (!outcome.ok) failed.push({ hostname: outcome.hostname, message: outcome.message });
    else if (outcome.ignored) ignored++;
    else {
      views.push(JSON.stringify(outcome.host));
      hostnames.push(host.hostname);
    }
  }
  return { page: { json: `[${views.join(",")}]`, count: views.length, hostnames, last: stored.last }, ignored, failed };
}
