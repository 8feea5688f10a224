import { Cron } from "croner";
import { MANUAL_OWNER } from "../core/hosts.ts";
import type { KeyPath } from "../core/problems.ts";
import { parseStep } from "./steps.ts";
import type { ConfigFile } from "./schema.ts";

/** A problem found by a check that needs more than the value's shape. */
export interface SemanticProblem {
  path: KeyPath;
  message: string;
}

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Checks across keys and against the outside world: ports, cron expressions, time zones, references. */
export function checkSemantics(config: ConfigFile): SemanticProblem[] {
  const problems: SemanticProblem[] = [];
  const port = Number(config.server.listen.slice(config.server.listen.lastIndexOf(":") + 1));
  if (port > 65535) problems.push({ path: ["server", "listen"], message: `port ${port} is out of range (0-65535)` });

  if (Object.hasOwn(config.accounts, MANUAL_OWNER)) {
    problems.push({ path: ["accounts", MANUAL_OWNER], message: `the account name '${MANUAL_OWNER}' is reserved: it owns the hosts created by hand (API and CLI writes without an account); choose another name` });
  }

  for (const [name, job] of Object.entries(config.jobs)) {
    try {
      new Cron(job.schedule, { paused: true, timezone: job.timezone });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      problems.push({ path: ["jobs", name, "schedule"], message: `not a valid cron expression: ${reason}` });
    }
    if (job.timezone !== undefined && !isValidTimeZone(job.timezone)) {
      problems.push({ path: ["jobs", name, "timezone"], message: `unknown time zone "${job.timezone}" (use an IANA name such as "Europe/Berlin")` });
    }
    job.steps.forEach((step, index) => {
      const { account } = parseStep(step);
      if (account !== undefined && !(account in config.accounts)) {
        problems.push({ path: ["jobs", name, "steps", index], message: `step "${step}" names account '${account}', which is not in [accounts]` });
      }
    });
  }
  return problems;
}
