// The input of an import command (ABI v1): which page to answer and how many hosts it may hold.
//
// Shared by the json and rest plugins (identical copies; see json-view.ts).

import { Request } from "../index";

// When called by hand (`syncer plugins call … import_hosts` without --input) there is no page size.
const DEFAULT_PAGE_SIZE: i64 = 1000;

@json
export class PageInput {
  @optional page: string | null = null;
  @optional page_size: i64 = 0;
}

/** The page asked for; a missing input is the first page. */
export function pageInput(request: Request): PageInput {
  const input = request.input.data.trim() == "null" ? new PageInput() : request.inputAs<PageInput>();
  if (input.page_size <= 0) input.page_size = DEFAULT_PAGE_SIZE;
  return input;
}

/** A cursor that is a non-negative item index ("0", "2000"), or -1 when it is not one. */
export function indexCursor(cursor: string): i64 {
  if (cursor.length == 0 || cursor.length > 15) return -1;
  for (let i = 0; i < cursor.length; i++) {
    const c = cursor.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
  }
  return I64.parseInt(cursor);
}
