import type { Command } from "commander";
import { stringify as toToml } from "smol-toml";
import { effectiveConfig } from "../../config/dump.ts";
import { formatProblem } from "../../core/problems.ts";
import { commonOptions, setupFor } from "../context.ts";
import { color, printJson, printLine, warnLine } from "../output.ts";

export function registerConfig(program: Command): void {
  const group = program.command("config").description("check or show the configuration file");

  group
    .command("check")
    .description("validate the config file and bind it to the plugins (types, unknown keys, secrets, plugin options); exit 1 when invalid")
    .option("--json", "print JSON")
    .action((_options, command: Command) => {
      const { config, warnings } = setupFor(command);
      if (commonOptions(command).json) {
        return printJson({ ok: true, path: config.source.path, warnings: warnings.map(formatProblem) });
      }
      for (const warning of warnings) warnLine(formatProblem(warning));
      printLine(`${color.green("ok")} ${config.source.path}`);
    });

  group
    .command("dump")
    .description("print the effective configuration: defaults filled in, paths absolute, each plugin option with its origin, secrets redacted")
    .option("--json", "print JSON instead of TOML")
    .action((_options, command: Command) => {
      const { config, accounts } = setupFor(command);
      const effective = effectiveConfig(config, accounts);
      if (commonOptions(command).json) return printJson(effective);
      printLine(`# effective configuration of ${config.source.path}`);
      printLine(toToml(effective));
    });
}
