// The json plugin: imports hosts from a JSON document (a file or a URL) holding a list of objects.
// Options select the list and each item's hostname, labels and inventory (see ../README.md). Pages:
// the cursor is the index of the page's first item; the document is read and checked again for each
// page, which keeps the plugin stateless.
import { ErrorKind, ImportPage, Importer, JsonApi, JsonDocument, file, listAt, mappingFromOptions, pageOf, parseListSelector, runImport } from "../../sdk/index";

class JsonFile extends Importer {
  fetch(page: ImportPage): bool {
    const first = page.offset();
    if (first < 0) return false;
    const account = page.account;
    // Options first: a mistake there is reported without reading the document.
    const mapping = mappingFromOptions(account);
    if (mapping.mapping === null) return page.fail(ErrorKind.Options, mapping.problem);
    const list = parseListSelector(account.optionString("list_selector", "$"));
    if (list.selector === null) return page.fail(ErrorKind.Options, "list_selector: " + list.problem);

    // The file the `path` option names (the host reads it and hands it over), else the address over HTTP.
    let document: JsonDocument;
    let source: string;
    if (file.present()) {
      source = account.optionString("path");
      document = new JsonDocument(file.bytes());
      const problem = document.check();
      if (problem !== null) return page.fail(ErrorKind.Parser, source + " is not JSON: " + problem);
    } else {
      source = account.address.trim();
      if (source.length == 0) return page.fail(ErrorKind.Options, "set path (a JSON file) or the account's address (a URL of a JSON document)");
      const answer = new JsonApi(source).getUrl(source);
      if (!answer.ok) return page.fail(answer.errorKind, answer.errorMessage);
      document = answer.document!;
    }

    const listed = listAt(document, list.selector!, source);
    if (listed.problem.length > 0) return page.fail(ErrorKind.Options, listed.problem);
    const items = listed.items;
    const start = <i32>min<i64>(first, <i64>items.length);
    const end = <i32>min<i64>(<i64>start + page.size, <i64>items.length);
    const made = pageOf(items.slice(start, end), start, mapping.mapping!);
    if (made.problem.length > 0) return page.fail(ErrorKind.Parser, source + ": " + made.problem);
    for (let i = 0; i < made.records.length; i++) page.add(made.records[i]);
    page.next = end < items.length ? end.toString() : null;
    return true;
  }
}

export function import_hosts(): i32 {
  return runImport(new JsonFile());
}
