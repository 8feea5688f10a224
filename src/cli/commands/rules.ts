import type { Command } from "commander";
import { resolve } from "node:path";
import type { Explanation } from "../../rules/evaluate.ts";
import { placeOf, type CompiledRule } from "../../rules/rule.ts";
import { explainHost, hostForRules, targetsOf, testRules } from "../../runs/rules-report.ts";
import { commonOptions, setupFor, withRuntime } from "../context.ts";
import { color, formatPairs, printJson, printLine } from "../output.ts";

/** A rule as `rules list --json` shows it: what it is written as, and where. */
function ruleJson(rule: CompiledRule) {
  return {
    name: rule.name,
    at: placeOf(rule),
    target: rule.target,
    match: rule.match,
    last_match: rule.lastMatch,
    conditions: rule.conditions.map((condition) => condition.text),
    set: Object.fromEntries(
      rule.set.flatMap((entry) => (entry.table ? entry.entries.map(([name, value]) => [`${entry.key}.${name}`, value.written]) : [[entry.key, entry.value.written]])),
    ),
  };
}

const mark = (matched: boolean) => (matched ? color.green("✓") : color.red("✗"));
const shown = (value: unknown) => (value === null ? color.dim("(missing)") : JSON.stringify(value));

function printExplanation(explanation: Explanation): void {
  const { target } = explanation;
  printLine(color.bold(`${explanation.hostname} for ${target.name}${target.name === target.plugin ? "" : ` (plugin ${target.plugin})`}`));
  if (explanation.rules.length === 0) printLine(color.dim("  no rules for this target"));
  for (const rule of explanation.rules) {
    if (!rule.evaluated) {
      printLine(`  ${color.dim(`- ${rule.name}  not evaluated (${rule.at})`)}`);
      continue;
    }
    printLine(`  ${mark(rule.matched)} ${rule.name}  ${color.dim(`${rule.match}${rule.last_match ? ", last_match" : ""}, ${rule.target}, ${rule.at}`)}`);
    for (const condition of rule.conditions) printLine(`      ${mark(condition.matched)} ${condition.condition}  ${color.dim("saw")} ${shown(condition.seen)}`);
    for (const [key, value] of Object.entries(rule.set ?? {})) printLine(`      ${color.cyan("set")} ${key} = ${JSON.stringify(value)}`);
    if (rule.error) printLine(`      ${color.red(rule.error)}`);
  }
  if (!explanation.result) return;
  const { result } = explanation;
  if (result.ignored) printLine(`  ${color.yellow("ignore_host: this target does not get the host")}`);
  printLine(`  outcomes   ${formatPairs(result.outcomes) || color.dim("none")}`);
  printLine(`  labels     ${formatPairs(result.labels) || color.dim("none")}`);
  printLine(`  inventory  ${formatPairs(result.inventory) || color.dim("none")}`);
}

export function registerRules(program: Command): void {
  const group = program.command("rules").description("the rules of the config: list them, explain a host, test a rules file");

  group
    .command("list")
    .description("every rule in evaluation order: target, conditions, what it sets, where it is written")
    .option("--target <name>", "only the rules of this target (a plugin or an account)")
    .option("--json", "print JSON: {rules}")
    .action((options: { target?: string }, command: Command) => {
      const setup = setupFor(command);
      const rules = options.target === undefined ? setup.rules.rules : targetsOf(setup.rules, options.target)[0]!.rules;
      if (commonOptions(command).json) return printJson({ rules: rules.map(ruleJson) });
      if (rules.length === 0) return printLine(color.dim("no rules"));
      for (const rule of rules) {
        const json = ruleJson(rule);
        printLine(`${color.bold(rule.name)}  ${color.cyan(rule.target)}  ${color.dim(`${rule.match}${rule.lastMatch ? ", last_match" : ""}  ${json.at}`)}`);
        for (const condition of json.conditions) printLine(`    if ${condition}`);
        printLine(`    set ${formatPairs(json.set)}`);
      }
    });

  group
    .command("debug")
    .description("why a host gets what it gets: every rule in order, each condition with the value it saw, what was set, the result")
    .argument("<hostname>")
    .option("--target <name>", "a plugin or an account (default: every target the rules name)")
    .option("--json", "print JSON: {hostname, targets: [...]}")
    .action((hostname: string, options: { target?: string }, command: Command) => {
      const setup = setupFor(command);
      return withRuntime(setup, async (database, runtime) => {
        const explanations = await explainHost(setup, runtime, hostForRules(database, hostname), options.target);
        if (commonOptions(command).json) return printJson({ hostname, targets: explanations });
        explanations.forEach((explanation, index) => {
          if (index > 0) printLine();
          printExplanation(explanation);
        });
      });
    });

  group
    .command("test")
    .description("evaluate a rules file against the inventory without applying it: how many hosts each rule matches")
    .argument("<file>", "a TOML file of [[rules]], as [include] rules takes them")
    .option("--json", "print JSON: {file, hosts, rules: [{name, at, target, matched, failed}]}")
    .action((file: string, _options: unknown, command: Command) => {
      const setup = setupFor(command);
      return withRuntime(setup, async (database, runtime) => {
        const report = await testRules(setup, runtime, database, resolve(file));
        if (commonOptions(command).json) return printJson(report);
        printLine(`${report.rules.length} rules of ${report.file} against ${report.hosts} hosts (nothing applied)`);
        const width = Math.max(0, ...report.rules.map((rule) => rule.name.length));
        for (const rule of report.rules) {
          const failed = rule.failed ? color.red(`  ${rule.failed} failed`) : "";
          printLine(`  ${rule.name.padEnd(width)}  ${String(rule.matched).padStart(7)} hosts  ${color.dim(`${rule.target}  ${rule.at}`)}${failed}`);
        }
      });
    });
}
