// The rest plugin: imports hosts from a JSON API over the host's HTTP function, with bearer or basic
// auth and paging by next links or offset/limit (see ../README.md). Each call reads one page of the
// API and answers it as one page of hosts; the cursor is the next page's URL or offset.

import { ErrorKind, fail, log, output, request } from "../../sdk/index";
import { authHeaders } from "./auth";
import { nextLink, offsetUrl } from "./paging";
import { Settings, settingsOf } from "./settings";
import { getJson } from "../../sdk/sources/fetch-json";
import { describeKind, JsonKind } from "../../sdk/sources/json-view";
import { indexCursor, pageInput } from "../../sdk/sources/page-input";
import { HostPage, Mapping, mappingFromOptions, pageOf } from "../../sdk/sources/records";
import { Selector, select } from "../../sdk/sources/selector";

export function import_hosts(): i32 {
  const call = request();
  const account = call.account;
  if (account === null) return fail(ErrorKind.Options, "import_hosts needs an account");

  const read = settingsOf(account);
  if (read.settings === null) return fail(ErrorKind.Options, read.problem);
  const settings = read.settings as Settings;
  const mapped = mappingFromOptions(account);
  if (mapped.mapping === null) return fail(ErrorKind.Options, mapped.problem);
  const auth = authHeaders(account, settings.auth);
  if (auth.problem.length > 0) return fail(ErrorKind.Options, auth.problem);

  // Which URL this page is read from; rows count from the offset when there is one.
  const cursor = pageInput(call).page;
  let url = settings.url;
  let offset: i64 = 0;
  if (settings.paging == "offset") {
    if (cursor !== null) {
      offset = indexCursor(cursor);
      if (offset < 0) return fail(ErrorKind.Runtime, "page cursor '" + cursor + "' is not an offset");
    }
    url = offsetUrl(settings.url, settings.offsetParam, offset, settings.limitParam, settings.pageSize);
  } else if (settings.paging == "next_link" && cursor !== null) {
    url = cursor;
  }

  const fetched = getJson(url, auth.headers);
  const document = fetched.document;
  if (document === null) return fail(fetched.failureKind, fetched.failureMessage);

  const listSelector = settings.listSelector as Selector;
  const selection = select(document.root(), listSelector);
  const listed = selection.value;
  if (listed === null) {
    return fail(ErrorKind.Options, "list_selector '" + listSelector.text + "' does not match an array in the answer of GET " + url + ": " + selection.miss);
  }
  if (listed.kind != JsonKind.Array) {
    return fail(ErrorKind.Options, "list_selector '" + listSelector.text + "' selects " + describeKind(listed.kind) + ", not an array, in the answer of GET " + url);
  }
  const items = listed.elements();
  const made = pageOf(items, offset, mapped.mapping as Mapping);
  if (made.problem.length > 0) return fail(ErrorKind.Parser, "GET " + url + ": " + made.problem);
  const page: HostPage = made.page;

  if (settings.paging == "offset") {
    page.next = items.length > 0 ? (offset + items.length).toString() : null;
  } else if (settings.paging == "next_link") {
    const next = nextLink(document, fetched.headers, settings.nextSelector as Selector, fetched.url);
    if (next.problem.length > 0) return fail(ErrorKind.Options, next.problem);
    const nextUrl = next.url;
    // An API that links a page to itself would be read forever.
    if (nextUrl !== null && (nextUrl == url || nextUrl == fetched.url)) {
      return fail(ErrorKind.Runtime, "the next link of GET " + url + " points to the same page; stopping rather than reading it forever");
    }
    page.next = nextUrl;
  }
  log.debug("GET " + url + ": " + items.length.toString() + " hosts");
  output<HostPage>(page);
  return 0;
}
