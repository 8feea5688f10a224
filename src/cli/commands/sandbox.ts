import type { Command } from "commander";

/** The hidden entry point of sandbox processes, which the daemon starts from its own executable. */
export function registerSandbox(program: Command): void {
  program.command("__sandbox", { hidden: true }).action(async () => {
    // Loaded on demand: the Extism host is needed only in sandbox processes, not at every CLI start.
    const { runSandbox } = await import("../../plugins/sandbox/child.ts");
    await runSandbox();
  });
}
