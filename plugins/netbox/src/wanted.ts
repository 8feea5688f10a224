// One host of an export page: what NetBox holds of it (the begin phase's state) and what the rules want.
import { HostResultStatus, JsonWriter } from "../../sdk/index";

/** What NetBox holds of an owned object, from the begin phase's state. */
export class Current {
  id: i64 = 0;
  refs: Map<string, i64> = new Map<string, i64>();
  status: string = "";
  tags: i64[] = [];
  /** Custom field → its value's compact JSON text. */
  customFields: Map<string, string> = new Map<string, string>();
}

/** One host: what the rules want, and how its write went. */
export class Wanted {
  refTexts: Map<string, string> = new Map<string, string>();
  refIds: Map<string, i64> = new Map<string, i64>();
  status: string = "";
  hasTags: bool = false;
  tagTexts: string[] = [];
  tagIds: i64[] = [];
  customFields: Map<string, string> = new Map<string, string>();
  manufacturer: string = "";
  current: Current | null = null;
  result: string = HostResultStatus.Unchanged;
  message: string = "";
  /** The object's JSON in the request (POST or PATCH). */
  body: string = "";

  constructor(public hostname: string) {}

  refuse(message: string): void {
    this.result = HostResultStatus.Failed;
    this.message = message;
  }

  get failed(): bool {
    return this.result == HostResultStatus.Failed;
  }
}

/** Whether the rules give the host this related object (not cleared). */
export function hasRef(host: Wanted, field: string): bool {
  return host.refIds.has(field) && host.refIds.get(field) != 0;
}

/** Two sorted id lists are equal. */
export function sameIds(a: i64[], b: i64[]): bool {
  if (a.length != b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] != b[i]) return false;
  return true;
}

export function writeIds(writer: JsonWriter, ids: i64[]): void {
  writer.beginArray();
  for (let i = 0; i < ids.length; i++) writer.integer(ids[i]);
  writer.endArray();
}
