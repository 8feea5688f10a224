import type { Command } from "commander";
import { eventJson, type EventRecord } from "../../core/events.ts";
import { SyncerError } from "../../core/errors.ts";
import type { Storage } from "../../db/storage.ts";
import { eventFilter } from "../../events/query.ts";
import { subscriberJson } from "../../events/subscribers.ts";
import { commonOptions, configFor, positiveInteger, withDatabase } from "../context.ts";
import { color, printJson, printLine } from "../output.ts";

/** How often `events tail` looks for new events. */
const TAIL_POLL_MS = 500;

function eventLine(event: EventRecord): string {
  const who = [event.plugin, event.account, event.runId === null ? null : `run #${event.runId}`].filter((part) => part !== null).join(" ");
  return `#${String(event.id).padEnd(6)} ${new Date(event.at).toISOString()}  ${color.cyan(event.type.padEnd(20))} ${who ? `${color.dim(who)} ` : ""}${JSON.stringify(event.data)}`;
}

interface ReadOptions {
  type?: string;
  since?: string;
  after?: string;
}

const cursorOf = (after: string | undefined) => (after === undefined ? undefined : positiveIntegerOrZero("--after", after));

function positiveIntegerOrZero(flag: string, text: string): number {
  return text === "0" ? 0 : positiveInteger(flag, text);
}

export function registerEvents(program: Command): void {
  const group = program.command("events").description("read the event log (runs, jobs, hosts, config reloads, plugins' events) and its subscribers");

  group
    .command("list")
    .description("events in order; without --since or --after the newest ones")
    .option("--type <types>", 'types or patterns, comma-separated: "run.failed", "run.*", "plugin.netbox.*"')
    .option("--since <when>", 'a duration back ("15m", "2h", "7d") or a time ("2026-12-01T08:00:00Z")')
    .option("--after <id>", "events after this one (paging)")
    .option("--limit <n>", "at most this many", "50")
    .option("--json", "print JSON")
    .action((options: ReadOptions & { limit: string }, command: Command) => {
      const filter = eventFilter({ type: options.type, since: options.since, after: cursorOf(options.after), limit: positiveInteger("--limit", options.limit) }, Date.now());
      return withDatabase(configFor(command), ({ events }) => {
        const rows = events.list({ ...filter, newest: filter.after === undefined && filter.since === undefined });
        if (commonOptions(command).json) return printJson({ events: rows.map(eventJson), next: rows.length === filter.limit ? rows[rows.length - 1]!.id : null });
        if (rows.length === 0) return printLine(color.dim("no events"));
        for (const event of rows) printLine(eventLine(event));
      });
    });

  group
    .command("tail")
    .description("follow the event log: prints events as they are recorded, until interrupted")
    .option("--type <types>", "types or patterns, comma-separated")
    .option("--since <when>", "start with the events since then (default: only new ones)")
    .option("--json", "print one JSON object a line")
    .action((options: ReadOptions, command: Command) => {
      const filter = eventFilter({ type: options.type, since: options.since, limit: 500 }, Date.now());
      return withDatabase(configFor(command), (database) => follow(database, filter, commonOptions(command).json ?? false));
    });

  const subscribers = group.command("subscribers").description("subscriber plugins and webhooks: how far each got, failures, dead letters");
  subscribers
    .command("list", { isDefault: true })
    .description("each subscriber's cursor, state and last error")
    .option("--json", "print JSON")
    .action((_options: unknown, command: Command) =>
      withDatabase(configFor(command), (database) => {
        const latest = database.events.latestId();
        const rows = database.subscribers.list().map((row) => subscriberJson(row, latest));
        if (commonOptions(command).json) return printJson({ subscribers: rows });
        if (rows.length === 0) return printLine(color.dim("no subscribers yet (the daemon records them when it starts delivering)"));
        for (const row of rows) {
          const state = row.state === "active" ? color.green(row.state) : color.red(row.state);
          const error = row.last_error ? `  ${color.red(`${row.last_error.kind}: ${row.last_error.message}`)}` : "";
          printLine(`${row.name.padEnd(24)} ${state.padEnd(12)} cursor ${row.cursor} (${row.behind} behind)  ${row.delivered} delivered  ${row.failures} failures${error}`);
        }
      }),
    );
  subscribers
    .command("resume")
    .description("deliver again to a dead-lettered subscriber, from where it stopped")
    .argument("<name>", "as `events subscribers` lists it, e.g. plugin:notify or webhook:ops")
    .action((name: string, _options: unknown, command: Command) =>
      withDatabase(configFor(command), (database) => {
        if (!database.subscribers.resume(name)) throw new SyncerError("not_found", `no subscriber ${JSON.stringify(name)}`);
        printLine(`${name}: active again; the daemon delivers from event #${database.subscribers.get(name)!.cursor + 1}`);
      }),
    );
  subscribers
    .command("forget")
    .description("remove a subscriber's cursor (one taken out of the config keeps it, to catch up if it comes back)")
    .argument("<name>", "as `events subscribers` lists it")
    .action((name: string, _options: unknown, command: Command) =>
      withDatabase(configFor(command), (database) => {
        if (!database.subscribers.forget(name)) throw new SyncerError("not_found", `no subscriber ${JSON.stringify(name)}`);
        printLine(`${name}: forgotten; while it is configured, the daemon delivers to it again from the newest event`);
      }),
    );
}

/** Prints what is there, then what comes, until SIGINT or SIGTERM. */
async function follow(database: Storage, filter: ReturnType<typeof eventFilter>, json: boolean): Promise<void> {
  let after = filter.since === undefined ? database.events.latestId() : 0;
  let stopped = false;
  let wake: () => void = () => {};
  const stop = () => {
    stopped = true;
    wake();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  while (!stopped) {
    const rows = database.events.list({ ...filter, after });
    for (const event of rows) {
      printLine(json ? JSON.stringify(eventJson(event)) : eventLine(event));
      after = event.id;
    }
    // After the first page, `since` has done its work: the cursor carries on.
    filter = { ...filter, since: undefined };
    if (rows.length === filter.limit) continue;
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, TAIL_POLL_MS);
    });
  }
}
