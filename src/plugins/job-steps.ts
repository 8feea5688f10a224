import type { Config } from "../config/load.ts";
import { SyncerError } from "../core/errors.ts";
import type { Account } from "./options.ts";
import type { Registry } from "./registry.ts";
import { resolveTarget } from "./target.ts";
import { dottedPath, type KeyPath, type Problem } from "../core/problems.ts";
import { parseStep } from "../config/steps.ts";

/**
 * Checks every job step against the plugins, the way a run would resolve it: the plugin exists and is
 * enabled, it has the command, the command may be scheduled, and the account fits (given when required,
 * absent when the command takes none, one of this plugin's). Each problem points at the step in the file.
 * A disabled job may name a disabled plugin or account: it never runs.
 */
export function checkJobSteps(config: Config, registry: Registry, accounts: Map<string, Account>): Problem[] {
  const problems: Problem[] = [];
  for (const [name, job] of Object.entries(config.jobs)) {
    job.steps.forEach((text, index) => {
      const path: KeyPath = ["jobs", name, "steps", index];
      const problem = (message: string) => problems.push({ file: config.source.path, key: dottedPath(path), position: config.locate(path, "value"), message: `step "${text}": ${message}` });
      const step = parseStep(text);
      // An account whose plugin is missing or disabled is reported at the account already.
      if (step.account !== undefined && step.account in config.accounts && !accounts.has(step.account)) return;
      try {
        const { plugin } = resolveTarget({ registry, accounts }, step);
        if (!plugin.manifest.commands[step.command]!.schedulable) {
          problem(`${plugin.ident} ${step.command} cannot run in a job (schedulable = false in ${plugin.manifestPath}); run it by hand`);
        }
      } catch (error) {
        if (!(error instanceof SyncerError)) throw error;
        if (error.kind === "disabled" && !job.enabled) return;
        problem(error.kind === "disabled" ? `${error.message}; disable the job too (enabled = false)` : error.message);
      }
    });
  }
  return problems;
}
