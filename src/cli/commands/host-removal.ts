import type { Command } from "commander";
import { SyncerError } from "../../core/errors.ts";
import { hostJson, iso } from "../../inventory/host-json.ts";
import { ApiWrites } from "../../runs/api-writes.ts";
import { Hooks } from "../../runs/hooks.ts";
import { commonOptions, configFor, setupFor, withDatabase, withRuntime } from "../context.ts";
import { durationFlag } from "../duration.ts";
import { color, printJson, printLine } from "../output.ts";

/** `hosts delete` and `hosts purge`: soft-deleting a host by hand, and removing deleted hosts for good. */
export function registerHostRemoval(group: Command): void {
  group
    .command("delete")
    .description("soft-delete a host, as DELETE /api/v1/hosts/{name} does: it stays readable (hosts list --deleted), its pre_delete hooks run, and an import that returns it restores it")
    .argument("<hostname>")
    .option("--reason <text>", "why; shown with the host and in its change log", "deleted with syncer hosts delete")
    .option("--json", "print the host as JSON")
    .action((hostname: string, options: { reason: string }, command: Command) => {
      const setup = setupFor(command);
      return withRuntime(setup, async (database, runtime) => {
        const deleted = await new ApiWrites(setup, database.hosts, new Hooks(setup, runtime)).remove(hostname, options.reason);
        const host = database.hosts.get(hostname)!;
        if (host.deletedAt === null) throw new SyncerError("rejected", `host ${JSON.stringify(hostname)} was not deleted: a host.pre_delete hook kept it`);
        if (commonOptions(command).json) return printJson(hostJson(host));
        if (deleted) printLine(`deleted ${hostname} ${color.dim(`(${host.deleteReason})`)}`);
        else printLine(`${hostname} was deleted already ${color.dim(`(${iso(host.deletedAt)}: ${host.deleteReason})`)}`);
      });
    });

  group
    .command("purge")
    .description("remove hosts soft-deleted longer ago than --deleted-before for good, with their change logs (cannot be undone; see [retention] deleted_hosts_days)")
    .requiredOption("--deleted-before <duration>", "how long ago they were deleted, at least: 30d, 12h, 90m, 2w")
    .option("--dry-run", "list what would be removed; remove nothing")
    .option("--json", "print JSON: {purged, hosts, changes, deleted_before, dry_run}")
    .action((options: { deletedBefore: string; dryRun?: boolean }, command: Command) => {
      // Checked before the database is opened: a wrong command line touches nothing.
      const age = durationFlag("--deleted-before", options.deletedBefore);
      return withDatabase(configFor(command), ({ hosts }) => {
        const before = Date.now() - age;
        const dryRun = options.dryRun ?? false;
        const result = hosts.purgeDeleted(before, { dryRun });
        if (commonOptions(command).json) {
          return printJson({ purged: result.hostnames.length, hosts: result.hostnames, changes: result.changes, deleted_before: new Date(before).toISOString(), dry_run: dryRun });
        }
        for (const hostname of result.hostnames) printLine(`${dryRun ? "would purge" : "purged"} ${hostname}`);
        const count = `${result.hostnames.length} host(s) deleted before ${new Date(before).toISOString()}, with ${result.changes} change-log entries`;
        printLine(dryRun ? `dry run: would purge ${count}; nothing was removed` : `purged ${count}`);
      });
    });
}
