import type { Command } from "commander";
import { probeConfinement, type Confinement } from "../../plugins/sandbox/confine.ts";
import { VERSION } from "../../core/version.ts";
import { commonOptions } from "../context.ts";
import { printJson, printLine } from "../output.ts";

/** One line on what confines a sandbox process on this machine besides the wasm sandbox. */
function describeSandbox({ noNewPrivs, landlock }: Confinement): string {
  const parts = [noNewPrivs ? "no_new_privs" : "no no_new_privs", "abi" in landlock ? `Landlock ABI ${landlock.abi}` : `no Landlock: ${landlock.unavailable}`];
  return `sandbox processes: ${parts.join(", ")}`;
}

export function registerVersion(program: Command): void {
  program
    .command("version")
    .description("print the version of syncer, of the runtime it was built with, and what confines its sandbox processes")
    .option("--json", "print JSON")
    .action((_options, command: Command) => {
      const info = { version: VERSION, bun: Bun.version, platform: `${process.platform}-${process.arch}`, sandbox: probeConfinement() };
      if (commonOptions(command).json) printJson(info);
      else {
        printLine(`syncer ${info.version} (bun ${info.bun}, ${info.platform})`);
        printLine(describeSandbox(info.sandbox));
      }
    });
}
