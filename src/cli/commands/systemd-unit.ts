import type { Command } from "commander";
import { resolve } from "node:path";
import { checkUserName, DEFAULT_UNIT_CONFIG, parseCredential, renderSystemdUnit, unitWarnings, type Credential } from "../../ops/systemd-unit.ts";
import { selfCommand } from "../../core/runtime-info.ts";
import { VERSION } from "../../core/version.ts";
import { commonOptions } from "../context.ts";
import { warnLine } from "../output.ts";

export function registerSystemdUnit(program: Command): void {
  program
    .command("systemd-unit")
    .description("print a hardened systemd service unit that runs `syncer serve` (redirect it into /etc/systemd/system/syncer.service)")
    // --config here names the config the service will run with: this command reads no config itself.
    .option("-c, --config <path>", `config file the service runs with (default ${DEFAULT_UNIT_CONFIG})`)
    .option("--binary <path>", "the syncer executable the service starts (default: this one)")
    .option("--user <name>", "run as this existing system user (default: a dynamic user allocated at each start)")
    .option("--credential <name:path>", "hand a secret file to the service as ${credential:NAME} (LoadCredential=); repeatable", (text: string, all: Credential[] | undefined) => [...(all ?? []), parseCredential(text, (path) => resolve(path))])
    .action((options: { binary?: string; user?: string; credential?: Credential[] }, command: Command) => {
      const unit = {
        command: options.binary ? [resolve(options.binary)] : selfCommand(),
        config: resolve(commonOptions(command).config ?? DEFAULT_UNIT_CONFIG),
        user: options.user === undefined ? undefined : checkUserName(options.user),
        credentials: options.credential ?? [],
        version: VERSION,
      };
      const text = renderSystemdUnit(unit);
      for (const warning of unitWarnings(unit)) warnLine(warning);
      // Written as is: a unit holds no secret values, and redaction must not touch paths.
      process.stdout.write(text);
    });
}
