// The importer helper: an import (or inventorize) command is "read one page of the upstream, map its
// records"; the SDK does the rest. runImport() reads the request and the page asked for (cursor and
// size), checks the account, hands the plugin an ImportPage to fill, and writes the answer,
// {"hosts": [...], "next": cursor | null}, or the error the plugin failed with.
//
//   class Hosts extends Importer {
//     fetch(page: ImportPage): bool {
//       const answer = api.get("/hosts", new Query().setInt("offset", page.offset()));
//       if (!answer.ok) return page.fail(answer.errorKind, answer.errorMessage);
//       …page.add(record) for each item…; page.next = …;
//       return true;
//     }
//   }
//   export function import_hosts(): i32 { return runImport(new Hosts()); }
import { Account, HostRecord, PageRequest, Request } from "./abi.generated";
import { fail, log, request } from "./call";
import { JsonWriter } from "./json-writer";

// Kept from call to call: the stub runtime never frees memory, so one buffer serves every page.
const writer = new JsonWriter(1 << 20);

/** The largest page a call may ask for. */
const MAX_PAGE_SIZE: i64 = 1_000_000;

export class ImportPage {
  /** The whole request: options, dry_run… */
  readonly request: Request;
  /** The account the import runs for (an empty one when the command takes none: see Importer.needsAccount). */
  readonly account: Account;
  /** The cursor of the page asked for: null for the first page, else a `next` this plugin answered. */
  readonly cursor: string | null;
  /** How many hosts the page may hold. */
  readonly size: i32;
  /** When the account's last successful run of the command started (ISO 8601, the daemon's clock); null when it has none. */
  lastSuccess: string | null = null;
  /**
   * Set when the pages are not everything the source holds (only what changed since lastSuccess): the run
   * then does not delete the hosts it did not see (the account's delete_missing is not applied).
   */
  partial: bool = false;
  /** The cursor of the page after this one; null (the default) when this is the last. */
  next: string | null = null;
  /** Hosts added so far. */
  count: i32 = 0;
  failKind: string = "";
  failMessage: string = "";

  constructor(request: Request, account: Account, cursor: string | null, size: i32) {
    this.request = request;
    this.account = account;
    this.cursor = cursor;
    this.size = size;
  }

  /** Adds a host record to the page. */
  add(record: HostRecord): void {
    record.write(writer);
    this.count++;
  }

  /**
   * For plugins that write records straight from their bytes: the writer, ready for one host record's
   * members (writer.key("hostname"), …); then endHost().
   */
  beginHost(): JsonWriter {
    writer.beginObject();
    return writer;
  }

  endHost(): void {
    writer.endObject();
    this.count++;
  }

  /** The cursor as an item offset: 0 for the first page; -1, with the page failed, when it is not one this plugin answered. */
  offset(what: string = "an item index"): i64 {
    const cursor = this.cursor;
    if (cursor === null) return 0;
    const offset = indexCursor(cursor);
    if (offset < 0) this.fail("runtime", "page cursor '" + cursor + "' is not " + what);
    return offset;
  }

  /** Fails the page with an error kind (ErrorKind) and a message; returns false, for `return page.fail(…)`. */
  fail(kind: string, message: string): bool {
    this.failKind = kind;
    this.failMessage = message;
    return false;
  }

  get failed(): bool {
    return this.failKind.length > 0;
  }
}

/** A non-negative item index ("0", "2000"), or -1 when the cursor is not one. */
function indexCursor(cursor: string): i64 {
  if (cursor.length == 0 || cursor.length > 15) return -1;
  for (let i = 0; i < cursor.length; i++) {
    const c = cursor.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
  }
  return I64.parseInt(cursor);
}

/** What a plugin's import command does with one page; see runImport(). */
export class Importer {
  /** The command needs an account (the default): without one the call fails before fetch(). */
  needsAccount: bool = true;
  /** The page size when the input names none (a call by hand, `syncer plugins call` without --input). */
  defaultPageSize: i32 = 1000;

  /** Fills `page` with up to page.size hosts and sets page.next; false (page.fail(…)) on an error. */
  fetch(page: ImportPage): bool {
    return page.fail("runtime", "this importer does not implement fetch()");
  }
}

/** Runs an import command: the request in, one page of hosts (or the error) out. Return its result from the export. */
export function runImport(importer: Importer): i32 {
  const call = request();
  let account = call.account;
  if (account === null) {
    if (importer.needsAccount) return fail("options", call.command + " needs an account");
    account = new Account();
  }
  let cursor: string | null = null;
  let size: i64 = importer.defaultPageSize;
  let lastSuccess: string | null = null;
  if (!call.input.isNull) {
    const reader = call.input.reader();
    const input = PageRequest.read(reader);
    reader.finish();
    if (reader.failed) return fail("runtime", "the input: " + reader.error);
    cursor = input.page;
    lastSuccess = input.last_success;
    if (input.page_size != 0) size = input.page_size;
    if (size < 1 || size > MAX_PAGE_SIZE) return fail("runtime", "page_size must be between 1 and " + MAX_PAGE_SIZE.toString() + ", not " + size.toString());
  }
  const page = new ImportPage(call, account!, cursor, <i32>size);
  page.lastSuccess = lastSuccess;
  writer.reset();
  writer.beginObject();
  writer.key("hosts");
  writer.beginArray();
  if (!importer.fetch(page) || page.failed) return fail(page.failKind.length > 0 ? page.failKind : "runtime", page.failMessage);
  writer.endArray();
  writer.key("next");
  const next = page.next;
  if (next === null) writer.nullValue();
  else writer.string(next);
  if (page.partial) {
    writer.key("partial");
    writer.boolean(true);
  }
  writer.endObject();
  log.debug(page.count.toString() + " hosts" + (next === null ? ", the last page" : ""));
  writer.output();
  return 0;
}
