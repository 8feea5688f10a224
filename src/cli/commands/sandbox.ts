import type { Command } from "commander";
import { runSandbox } from "../../plugins/sandbox/child.ts";

/** The hidden entry point of sandbox processes, which the daemon starts from its own executable. */
export function registerSandbox(program: Command): void {
  program.command("__sandbox", { hidden: true }).action(async () => {
    await runSandbox();
  });
}
