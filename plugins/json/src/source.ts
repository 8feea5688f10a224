// Where the JSON document comes from: the file the `path` option names (the host reads it and hands
// the bytes over; plugins have no filesystem), else the account's address fetched over HTTP.

import { Account, ErrorKind, file } from "../../sdk/index";
import { getJson } from "../../sdk/sources/fetch-json";
import { JsonDocument } from "../../sdk/sources/json-view";

export class Source {
  /** The checked document; null when it could not be read (see failureKind). */
  document: JsonDocument | null = null;
  /** The file or URL, for messages. */
  name: string = "";
  failureKind: string = "";
  failureMessage: string = "";
}

function failed(source: Source, kind: string, message: string): Source {
  source.failureKind = kind;
  source.failureMessage = message;
  return source;
}

export function readSource(account: Account): Source {
  const source = new Source();
  if (file.present()) {
    source.name = account.optionString("path");
    const document = new JsonDocument(Uint8Array.wrap(file.bytes()));
    const problem = document.check();
    if (problem !== null) return failed(source, ErrorKind.Parser, source.name + " is not JSON: " + problem);
    source.document = document;
    return source;
  }
  const url = account.address.trim();
  if (url.length == 0) return failed(source, ErrorKind.Options, "set path (a JSON file) or the account's address (a URL of a JSON document)");
  source.name = url;
  const headers = new Map<string, string>();
  headers.set("Accept", "application/json");
  const fetched = getJson(url, headers);
  if (fetched.document === null) return failed(source, fetched.failureKind, fetched.failureMessage);
  source.document = fetched.document;
  return source;
}
