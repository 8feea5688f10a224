// The plugin's options, read from the request's top-level `options` straight from the request bytes.
// The SDK's request() parses the whole request with json-as, the page of hosts included: too slow for
// 100k hosts, so the options are picked out with the JsonReader on the same pass over the bytes.
import { JsonKind, JsonReader } from "../../sdk/index";

/** What becomes a host's variables. */
export enum HostVars {
  Labels,
  LabelsAndInventory,
  None,
}

export class Settings {
  /** The labels that make groups, as given (deduplicated). */
  groupBy: string[] = [];
  /** Their UTF-8 bytes, to compare against label keys without decoding them. */
  private groupByBytes: ArrayBuffer[] = [];
  groupPrefix: string = "";
  hostvars: HostVars = HostVars.LabelsAndInventory;
  /** Why the options cannot be used, "" when they can. */
  problem: string = "";

  addGroupBy(name: string): void {
    if (this.groupBy.includes(name)) return;
    this.groupBy.push(name);
    this.groupByBytes.push(String.UTF8.encode(name));
  }

  /** The index in groupBy of the label whose UTF-8 name is at [ptr, ptr+len), or -1. */
  groupIndexOf(ptr: usize, len: i32): i32 {
    const names = this.groupByBytes;
    for (let i = 0, n = names.length; i < n; i++) {
      const name = unchecked(names[i]);
      if (name.byteLength == len && memory.compare(changetype<usize>(name), ptr, <usize>len) == 0) return i;
    }
    return -1;
  }

  get grouping(): bool {
    return this.groupByBytes.length > 0;
  }
}

/**
 * Reads the options object the reader stands at into `settings`. The host has typed and defaulted them;
 * they are checked again here, since a plugin can be called directly (`syncer plugins call`).
 */
export function readSettings(reader: JsonReader, settings: Settings): void {
  if (reader.nullValue()) return;
  if (!reader.beginObject()) return;
  while (reader.nextKey()) {
    if (reader.keyIs("group_by")) {
      if (reader.nullValue()) continue;
      if (reader.kind() != JsonKind.Array) {
        settings.problem = "group_by must be a list of label names";
        reader.skip();
        continue;
      }
      reader.beginArray();
      while (reader.nextItem()) {
        if (reader.kind() != JsonKind.String) {
          settings.problem = "group_by must be a list of label names";
          reader.skip();
          continue;
        }
        const name = reader.string();
        if (name.length > 0) settings.addGroupBy(name);
      }
    } else if (reader.keyIs("group_prefix")) {
      if (reader.nullValue()) continue;
      if (reader.kind() != JsonKind.String) {
        settings.problem = "group_prefix must be a string";
        reader.skip();
        continue;
      }
      settings.groupPrefix = reader.string();
    } else if (reader.keyIs("hostvars")) {
      if (reader.nullValue()) continue;
      let value = "";
      if (reader.kind() == JsonKind.String) value = reader.string();
      else reader.skip();
      if (value == "labels") settings.hostvars = HostVars.Labels;
      else if (value == "labels_and_inventory") settings.hostvars = HostVars.LabelsAndInventory;
      else if (value == "none") settings.hostvars = HostVars.None;
      else settings.problem = "hostvars must be one of labels, labels_and_inventory, none";
    } else {
      reader.skip();
    }
  }
}
