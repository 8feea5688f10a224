import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { SyncerError } from "../core/errors.ts";
import { VERSION } from "../core/version.ts";
import type { AnswerCacheRepository } from "../db/answer-cache.ts";
import type { EligiblePage } from "../db/hosts.ts";
import type { SplicedObject } from "../plugins/host-keyed.ts";
import type { Account } from "../plugins/options.ts";
import type { Plugin } from "../plugins/plugin.ts";
import { moduleDigest } from "../plugins/runtime.ts";
import type { Setup } from "../plugins/setup.ts";
import type { TargetRules } from "../rules/evaluate.ts";

/** A page's answer as the sandbox sent it: its bytes, and where its host-keyed parts sit in them. */
export interface PageAnswer {
  output: Uint8Array;
  spliced: SplicedObject[];
}

/**
 * Liquid's filters that read the clock: `date` (of "now" or "today", or of a value that says so) and the
 * `date_to_*` family. A template that uses one renders differently tomorrow.
 */
const CLOCK_FILTER = /\|\s*date/;

/**
 * Syncer's own part in an answer (the request it writes, the rules engine, the sandbox's cut): a kept
 * answer is not taken by another build. The binary's size and time stand for its build; run from source,
 * only the version does (bun's own binary is the executable), so a developer's edit of the engine
 * keeps answers of the edited code's version until the next page, rule or option change.
 */
const BUILD = (() => {
  try {
    const { size, mtimeMs } = statSync(process.execPath);
    return `${VERSION} ${process.execPath} ${size} ${mtimeMs}`;
  } catch {
    return VERSION;
  }
})();

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
  const options = account?.options ?? setup.pluginOptions.get(plugin.ident) ?? {};
  if ((account?.config.password ?? "") !== "" || Object.values(options).some((option) => option.secret && option.value !== undefined && option.value !== "")) {
    return "the call carries a secret";
  }
  if (CLOCK_FILTER.test(JSON.stringify([setup.config.rules.map((placed) => placed.rule), setup.config.targets]))) return "a template reads the clock (a date filter)";
  return undefined;
}

/**
 * An inventory's page answers kept by what they are computed from, and found again. A page's answer is a
 * function of the page's hosts, the target's rules and [targets] settings, the plugin's module and manifest,
 * its options and account, and Syncer's build, when nothing else can reach it: a plugin without permissions
 * runs without WASI (no clock, no files, no network), is handed no file, and the rules use no plugin's
 * filter or test and no clock (uncacheable says which of these stops it). Its key is a SHA-256 over all of
 * them: a changed host, rule, option, plugin or build gives another key, so a kept answer is never stale.
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
    if (uncacheable(setup, plugin, exportName, account, rules) !== undefined) return undefined;
    const options = Object.entries(account?.options ?? setup.pluginOptions.get(plugin.ident) ?? {}).map(([name, option]) => [name, option.value ?? null]);
    const accountFacts = account ? [account.name, account.config.address ?? "", account.config.username ?? "", account.config.custom_fields ?? null] : null;
    const context = sha256(JSON.stringify([BUILD, plugin.ident, moduleDigest(plugin.wasm()), plugin.manifest, exportName, options, accountFacts, setup.config.rules.map((placed) => placed.rule), setup.config.targets, rules.name]));
    return new PageAnswers(repository, `${plugin.ident}/${exportName}/${account?.name ?? ""}`, context);
  }

  /** The key of a page read from the inventory, before the rules. */
  keyOf(stored: EligiblePage): string {
    const key = sha256(this.context, "\n", stored.json);
    this.used.push(key);
    return key;
  }

  /** The answer kept under `key`, or undefined. */
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
