// GET a JSON document through the host's HTTP function, turning every way it can go wrong into an
// error kind: unreachable → connection (the host's message), 401/403 → auth, any other non-2xx →
// runtime with the status, a body that is not JSON → parser with the line and column.
//
// Shared by the json and rest plugins (identical copies; see json-view.ts).

import { ErrorKind, http } from "../index";
import { JsonDocument } from "./json-view";

// Enough of an error page to recognise it, not so much that it floods the run log.
const BODY_EXCERPT = 200;

export class Fetched {
  /** The checked document; null when the request failed (see failureKind). */
  document: JsonDocument | null = null;
  /** Response headers, names in lower case. */
  headers: Map<string, string> = new Map<string, string>();
  /** The URL that answered, after redirects. */
  url: string = "";
  failureKind: string = "";
  failureMessage: string = "";
}

function failed(fetched: Fetched, kind: string, message: string): Fetched {
  fetched.failureKind = kind;
  fetched.failureMessage = message;
  return fetched;
}

function excerpt(body: string): string {
  const text = body.trim();
  if (text.length == 0) return "(empty body)";
  return text.length > BODY_EXCERPT ? text.substring(0, BODY_EXCERPT) + "…" : text;
}

export function getJson(url: string, headers: Map<string, string>): Fetched {
  const fetched = new Fetched();
  fetched.url = url;
  const response = http.get(url, headers);
  const error = response.error;
  if (!response.ok || error !== null) {
    // The host's kinds: connection, timeout, permission (a host outside the allow-list), runtime.
    return failed(fetched, error !== null ? error.kind : ErrorKind.Connection, error !== null ? error.message : "GET " + url + " failed");
  }
  if (response.url.length > 0) fetched.url = response.url;
  fetched.headers = response.headers;
  const status = response.status;
  if (status == 401 || status == 403) {
    return failed(fetched, ErrorKind.Auth, "GET " + url + " was refused with HTTP " + status.toString() + ": check the account's credentials");
  }
  if (status < 200 || status > 299) {
    return failed(fetched, ErrorKind.Runtime, "GET " + url + " answered HTTP " + status.toString() + ": " + excerpt(response.body));
  }
  if (response.body_base64.length > 0) {
    return failed(fetched, ErrorKind.Parser, "the answer of GET " + url + " is not UTF-8 text, so not JSON");
  }
  const document = JsonDocument.fromString(response.body);
  const problem = document.check();
  if (problem !== null) return failed(fetched, ErrorKind.Parser, "the answer of GET " + url + " is not JSON: " + problem);
  fetched.document = document;
  return fetched;
}
