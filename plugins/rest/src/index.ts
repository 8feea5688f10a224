// The rest plugin: imports hosts from a JSON API over the host's HTTP function, with bearer or basic
// auth and paging by next links or offset/limit (see ../README.md). Each call reads one page of the
// API and answers it as one page of hosts; the cursor is the next page's URL or offset.
//   offset     each page asks ?<offset_param>=N&<limit_param>=page_size; paging stops at the first
//              empty page (not at a short one: an API may cap the limit below page_size, and stopping
//              early would silently drop hosts).
//   next_link  the next page's URL is in the body at next_selector, else in an RFC 8288 `Link: <…>;
//              rel="next"` header; relative links are resolved.
import { ApiResponse, ErrorKind, ImportPage, Importer, JsonKind, Query, describeKind, listAt, mappingFromOptions, pageOf, resolveUrl, runImport, select } from "../../sdk/index";
import { Settings, settingsOf } from "./settings";

class RestApi extends Importer {
  fetch(page: ImportPage): bool {
    const settings = settingsOf(page.account);
    if (settings.problem.length > 0) return page.fail(ErrorKind.Options, settings.problem);
    const mapped = mappingFromOptions(page.account);
    if (mapped.mapping === null) return page.fail(ErrorKind.Options, mapped.problem);

    // Which URL this page is read from; rows count from the offset when there is one.
    let url = settings.url;
    let offset: i64 = 0;
    if (settings.paging == "offset") {
      offset = page.offset("an offset");
      if (offset < 0) return false;
      url = new Query().setInt(settings.offsetParam, offset).setInt(settings.limitParam, settings.pageSize).appendTo(settings.url);
    } else if (settings.paging == "next_link" && page.cursor !== null) {
      url = page.cursor!;
    }

    const answer = settings.api.getUrl(url);
    if (!answer.ok) return page.fail(answer.errorKind, answer.errorMessage);
    const listed = listAt(answer.document!, settings.listSelector!, "the answer of GET " + url);
    if (listed.problem.length > 0) return page.fail(ErrorKind.Options, listed.problem);
    const made = pageOf(listed.items, offset, mapped.mapping!);
    if (made.problem.length > 0) return page.fail(ErrorKind.Parser, "GET " + url + ": " + made.problem);
    for (let i = 0; i < made.records.length; i++) page.add(made.records[i]);

    if (settings.paging == "offset") {
      page.next = listed.items.length > 0 ? (offset + listed.items.length).toString() : null;
    } else if (settings.paging == "next_link") {
      const next = nextLink(answer, settings, page);
      if (page.failed) return false;
      // An API that links a page to itself would be read forever.
      if (next !== null && (next == url || next == answer.url)) {
        return page.fail(ErrorKind.Runtime, "the next link of GET " + url + " points to the same page; stopping rather than reading it forever");
      }
      page.next = next;
    }
    return true;
  }
}

/** The next page's URL: the body's link at next_selector wins over a Link header. */
function nextLink(answer: ApiResponse, settings: Settings, page: ImportPage): string | null {
  const selector = settings.nextSelector!;
  const found = select(answer.document!.root(), selector).value;
  if (found !== null && found.kind == JsonKind.String) {
    const link = found.asString().trim();
    return link.length > 0 ? resolveUrl(answer.url, link) : null;
  }
  if (found !== null && found.kind != JsonKind.Null && !(found.kind == JsonKind.Bool && found.rawText() == "false")) {
    page.fail(ErrorKind.Options, "next_selector '" + selector.text + "' selects " + describeKind(found.kind) + ", not a URL");
    return null;
  }
  return answer.linkNext();
}

export function import_hosts(): i32 {
  return runImport(new RestApi());
}
