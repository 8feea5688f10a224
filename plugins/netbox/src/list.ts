import { JsonKind, JsonReader } from "../../sdk/index";

/**
 * NetBox's list answer ({count, next, previous, results: [...]}) read in one pass: next() puts the reader
 * on each result in turn, which the caller reads whole; `more` says whether NetBox has a further page.
 * Keys may come in any order: those after `results` are read when the results end.
 */
export class ListAnswer {
  /** NetBox named a next page (known once next() has returned false). */
  more: bool = false;
  /** The next page's link as NetBox wrote it, when it came before the results (NetBox writes it first); else null. */
  nextLink: string | null = null;
  /** The answer had a list of results. */
  listed: bool = false;
  /** Results seen so far. */
  count: i32 = 0;
  private reader: JsonReader;
  private inResults: bool = false;

  constructor(reader: JsonReader) {
    this.reader = reader;
    reader.beginObject();
  }

  /** Moves to the next result: false when there is none left (or the reader failed). */
  next(): bool {
    const reader = this.reader;
    if (this.inResults) {
      if (reader.nextItem()) return this.found();
      this.inResults = false;
    }
    while (reader.nextKey()) {
      if (reader.keyIs("next")) {
        this.more = reader.kind() == JsonKind.String;
        if (this.more && !this.listed) this.nextLink = reader.string();
        else reader.skip();
      } else if (reader.keyIs("results") && reader.kind() == JsonKind.Array) {
        this.listed = true;
        reader.beginArray();
        if (reader.nextItem()) {
          this.inResults = true;
          return this.found();
        }
      } else {
        reader.skip();
      }
    }
    return false;
  }

  private found(): bool {
    this.count++;
    return true;
  }
}
