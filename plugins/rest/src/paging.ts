// Paging of the upstream API: which URL a page is read from and where the next page is.
//   offset     the cursor is the offset; each page asks ?<offset_param>=N&<limit_param>=page_size, and
//              paging stops at the first empty page (not at a short one: an API may cap the limit
//              below page_size, and stopping early would silently drop hosts).
//   next_link  the cursor is the next page's URL: from the body at next_selector, else from an
//              RFC 8288 (formerly 5988) `Link: <…>; rel="next"` header; relative links are resolved.

import { JsonDocument, JsonKind, describeKind } from "../../sdk/sources/json-view";
import { Selector, select } from "../../sdk/sources/selector";

/** `url` with the offset and limit query parameters appended. */
export function offsetUrl(url: string, offsetParam: string, offset: i64, limitParam: string, limit: i64): string {
  const separator = url.includes("?") ? "&" : "?";
  return url + separator + encodeURIComponent(offsetParam) + "=" + offset.toString() + "&" + encodeURIComponent(limitParam) + "=" + limit.toString();
}

export class NextLink {
  /** The next page's absolute URL; null on the last page. */
  url: string | null = null;
  /** An options problem ("" when none). */
  problem: string = "";
}

/** The next page of the page read from `pageUrl`: the body's link at `selector` wins over a Link header. */
export function nextLink(document: JsonDocument, headers: Map<string, string>, selector: Selector, pageUrl: string): NextLink {
  const next = new NextLink();
  const found = select(document.root(), selector).value;
  if (found !== null && found.kind == JsonKind.String) {
    const link = found.asString().trim();
    if (link.length > 0) next.url = resolveUrl(pageUrl, link);
    return next;
  }
  if (found !== null && found.kind != JsonKind.Null && !(found.kind == JsonKind.Bool && found.rawText() == "false")) {
    next.problem = "next_selector '" + selector.text + "' selects " + describeKind(found.kind) + ", not a URL";
    return next;
  }
  if (headers.has("link")) {
    const link = nextInLinkHeader(headers.get("link"));
    if (link !== null) next.url = resolveUrl(pageUrl, link);
  }
  return next;
}

/** The target of the rel="next" link in a Link header value (`<url>; rel="next", <url>; rel="last"`), or null. */
export function nextInLinkHeader(value: string): string | null {
  let at = 0;
  while (at < value.length) {
    const open = value.indexOf("<", at);
    if (open < 0) return null;
    const close = value.indexOf(">", open);
    if (close < 0) return null;
    const target = value.substring(open + 1, close).trim();
    // The link's parameters run up to the next link; a quoted parameter value may hold ',' or '<'.
    let end = close + 1;
    let quoted = false;
    while (end < value.length) {
      const c = value.charCodeAt(end);
      if (c == 0x22) quoted = !quoted;
      else if (!quoted && c == 0x2c) break;
      end++;
    }
    if (hasRelNext(value.substring(close + 1, end))) return target;
    at = end + 1;
  }
  return null;
}

// `; rel="next"`, `; rel=next` or `; rel="next last"`: rel holds space-separated relation types.
function hasRelNext(parameters: string): bool {
  const parts = parameters.split(";");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i].trim();
    const equals = part.indexOf("=");
    if (equals < 0 || part.substring(0, equals).trim().toLowerCase() != "rel") continue;
    let relations = part.substring(equals + 1).trim();
    if (relations.startsWith("\"") && relations.endsWith("\"") && relations.length >= 2) relations = relations.substring(1, relations.length - 1);
    const types = relations.split(" ");
    for (let j = 0; j < types.length; j++) if (types[j].toLowerCase() == "next") return true;
  }
  return false;
}

/** `reference` resolved against `base` (RFC 3986 §5.2, without dot-segment removal: the host's URL parser does that). */
export function resolveUrl(base: string, reference: string): string {
  if (hasScheme(reference)) return reference;
  const schemeEnd = base.indexOf("://");
  if (schemeEnd < 0) return reference;
  if (reference.startsWith("//")) return base.substring(0, schemeEnd + 1) + reference;
  const pathStart = indexOfAny(base, "/?#", schemeEnd + 3);
  const origin = pathStart < 0 ? base : base.substring(0, pathStart);
  if (reference.startsWith("/")) return origin + reference;
  const queryStart = indexOfAny(base, "?#", schemeEnd + 3);
  const withoutQuery = queryStart < 0 ? base : base.substring(0, queryStart);
  if (reference.startsWith("?")) return withoutQuery + reference;
  const path = withoutQuery.substring(origin.length);
  const directory = path.substring(0, path.lastIndexOf("/") + 1);
  return origin + (directory.length == 0 ? "/" : directory) + reference;
}

function hasScheme(reference: string): bool {
  for (let i = 0; i < reference.length; i++) {
    const c = reference.charCodeAt(i);
    if (c == 0x3a) return i > 0;
    const letter = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
    if (!letter && !(i > 0 && ((c >= 0x30 && c <= 0x39) || c == 0x2b || c == 0x2d || c == 0x2e))) return false;
  }
  return false;
}

function indexOfAny(text: string, characters: string, from: i32): i32 {
  for (let i = from; i < text.length; i++) if (characters.includes(text.charAt(i))) return i;
  return -1;
}
