// The json plugin: imports hosts from a JSON document (a file or a URL) holding a list of objects.
// Options select the list and each item's hostname, labels and inventory (see ../README.md). Pages:
// the cursor is the index of the page's first item; the document is read and checked again for each
// page, which keeps the plugin stateless.

import { ErrorKind, fail, log, output, request } from "../../sdk/index";
import { describeKind, JsonKind } from "../../sdk/sources/json-view";
import { indexCursor, pageInput } from "../../sdk/sources/page-input";
import { HostPage, Mapping, mappingFromOptions, pageOf } from "../../sdk/sources/records";
import { parseListSelector, select } from "../../sdk/sources/selector";
import { readSource } from "./source";

export function import_hosts(): i32 {
  const call = request();
  const account = call.account;
  if (account === null) return fail(ErrorKind.Options, "import_hosts needs an account");

  const input = pageInput(call);
  let first: i64 = 0;
  const cursor = input.page;
  if (cursor !== null) {
    first = indexCursor(cursor);
    if (first < 0) return fail(ErrorKind.Runtime, "page cursor '" + cursor + "' is not an item index");
  }

  // Options first: a mistake there is reported without reading the document.
  const mapping = mappingFromOptions(account);
  if (mapping.mapping === null) return fail(ErrorKind.Options, mapping.problem);
  const list = parseListSelector(account.optionString("list_selector", "$"));
  const listSelector = list.selector;
  if (listSelector === null) return fail(ErrorKind.Options, "list_selector: " + list.problem);

  const source = readSource(account);
  const document = source.document;
  if (document === null) return fail(source.failureKind, source.failureMessage);

  const selection = select(document.root(), listSelector);
  const listed = selection.value;
  if (listed === null) {
    return fail(ErrorKind.Options, "list_selector '" + listSelector.text + "' does not match an array in " + source.name + ": " + selection.miss);
  }
  if (listed.kind != JsonKind.Array) {
    return fail(ErrorKind.Options, "list_selector '" + listSelector.text + "' selects " + describeKind(listed.kind) + ", not an array, in " + source.name);
  }

  const items = listed.elements();
  const start = <i32>min<i64>(first, <i64>items.length);
  const end = <i32>min<i64>(<i64>start + input.page_size, <i64>items.length);
  const made = pageOf(items.slice(start, end), start, mapping.mapping as Mapping);
  if (made.problem.length > 0) return fail(ErrorKind.Parser, source.name + ": " + made.problem);
  const page: HostPage = made.page;
  page.next = end < items.length ? end.toString() : null;
  log.debug("items " + start.toString() + " to " + end.toString() + " of " + items.length.toString() + " from " + source.name);
  output<HostPage>(page);
  return 0;
}
