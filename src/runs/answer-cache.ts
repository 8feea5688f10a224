import { createHash } from "node:crypto";
import { SyncerError } from "../core/errors.ts";
import type { AnswerCacheRepository } from "../db/answer-cache.ts";
import type { EligiblePage } from "../db/hosts.ts";
import type { SplicedObject } from "../plugins/host-keyed.ts";
import type { Account } from "../plugins/options.ts";
import type { Plugin } from "../plugins/plugin.ts";
import type { Setup } from "../plugins/setup.ts";
import type { TargetRules } from "../rules/evaluate.ts";
import { callInputs } from "./call-inputs.ts";

/** A page's answer as the sandbox sent it: its bytes, and where its host-keyed parts sit in them. */
export interface PageAnswer {
  output: Uint8Array;
  spliced: SplicedObject[];
}

const sha256 = (...parts: (string | Uint8Array)[]) => {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest("hex");
};

/** Why a target's answers are computed every time, or undefined when they may be kept. */
export function uncacheable(setup: Setup, plugin: Plugin, exportName: string, account: Account | undefined, rules: TargetRules): string | undefined {
  const permissions = Object.keys(plugin.manifest.permissions);
  if (permissions.length > 0) return `plugin ${plugin.ident} may reach outside (${permissions.join(", ")})`;
  if (plugin.manifest.commands[exportName]?.file_option !== undefined) return `${plugin.ident} ${exportName} reads a file`;
  if (rules.functions) return "the rules use plugins' filters or tests";
  if (rules.written === undefined) return "a template reads the clock or chance (a date filter, sample)";
  // Secrets are no part of the key (callInputs): a plugin handed one may answer otherwise when it changes.
  if ((account?.config.password ?? "") !== "" || Object.values(optionsOf(setup, plugin, account)).some((option) => option.secret && option.value !== undefined && option.value !== "")) {
    return "the call carries a secret";
  }
  return undefined;
}

const optionsOf = (setup: Setup, plugin: Plugin, account: Account | undefined) => account?.options ?? setup.pluginOptions.get(plugin.ident) ?? {};

/**
 * An inventory's page answers kept by what they are computed from, and found again. A page's answer is a
 * function of the page's hosts and of callInputs (the target's rules and [targets] settings, the plugin's module
 * and manifest, its options and account, Syncer's build), when nothing else can reach it: a plugin without
 * permissions runs without WASI (no clock, no files, no network), is handed no file and no secret, and the
 * rules use no plugin's filter or test and no clock or chance (uncacheable says which of these stops it). Its
 * key is a SHA-256 over all of them: a changed host, rule, option, plugin or build gives another key, so a
 * kept answer is never stale.
 * A render keeps the answers it computed; once it is complete, the scope's answers it did not use go.
 */
export class PageAnswers {
  private readonly used: string[] = [];
  private written = false;
  /** Why answers could not be kept (the first failure; none is tried after it), for the render's warnings. */
  warning: string | undefined;

  private constructor(
    private readonly repository: AnswerCacheRepository,
    private readonly scope: string,
    /** The digest of everything but the page. */
    private readonly context: string,
  ) {}

  /** The cache of a target's pages, or undefined when its answers must be computed every time. */
  static of(repository: AnswerCacheRepository, setup: Setup, plugin: Plugin, exportName: string, account: Account | undefined, rules: TargetRules): PageAnswers | undefined {
    const inputs = uncacheable(setup, plugin, exportName, account, rules) === undefined ? callInputs(plugin, exportName, optionsOf(setup, plugin, account), account, rules) : undefined;
    if (inputs === undefined) return undefined;
    return new PageAnswers(repository, `${plugin.ident}/${exportName}/${account?.name ?? ""}`, sha256(inputs));
  }

  /** The key of a page read from the inventory, before the rules. */
  keyOf(stored: EligiblePage): string {
    const key = sha256(this.context, "\n", stored.json);
    this.used.push(key);
    return key;
  }

  /** The answer kept under `key`, or undefined; its output is valid until the next find (the repository reuses its memory). */
  find(key: string): PageAnswer | undefined {
    const kept = this.repository.get(this.scope, key);
    return kept && { output: kept.body, spliced: JSON.parse(kept.facts) as SplicedObject[] };
  }

  /** Keeps a computed answer. One that cannot be kept (a full disk) costs the next render time, not this one its document: it becomes a warning. */
  keep(key: string, answer: PageAnswer): void {
    if (this.warning !== undefined) return;
    try {
      this.repository.put(this.scope, key, { body: answer.output, facts: JSON.stringify(answer.spliced) });
      this.written = true;
    } catch (error) {
      if (!(error instanceof SyncerError)) throw error;
      this.warning = `the inventory's answers are computed again next time: ${error.message}`;
    }
  }

  /** After a complete render: the scope's answers it did not use go (none is looked at when every page was found). */
  settle(): void {
    if (this.written) this.repository.keepOnly(this.scope, this.used);
  }
}
