import type { Command } from "commander";
import { loggerFor, setupFor } from "../context.ts";

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("run the daemon: HTTP API on [server] listen, database in [server] data_dir; stops on SIGTERM/SIGINT")
    .action(async (_options, command: Command) => {
      const setup = setupFor(command);
      // The daemon and its HTTP front load here, not with the CLI: every other command starts without them.
      const [{ serve }, { httpFront }] = await Promise.all([import("../../app/daemon.ts"), import("../../http/front.ts")]);
      await serve(setup, loggerFor(setup.config), httpFront);
      // Stopped: work given up at shutdown (the plugin call of an interrupted run) must not keep the process alive.
      process.exit(0);
    });
}
