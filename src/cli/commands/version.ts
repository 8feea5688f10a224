import type { Command } from "commander";
import { VERSION } from "../../core/version.ts";
import { commonOptions } from "../context.ts";
import { printJson, printLine } from "../output.ts";

export function registerVersion(program: Command): void {
  program
    .command("version")
    .description("print the version of syncer and of the runtime it was built with")
    .option("--json", "print JSON")
    .action((_options, command: Command) => {
      const info = { version: VERSION, bun: Bun.version, platform: `${process.platform}-${process.arch}` };
      if (commonOptions(command).json) printJson(info);
      else printLine(`syncer ${info.version} (bun ${info.bun}, ${info.platform})`);
    });
}
