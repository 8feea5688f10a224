// The plugin's options, from the request's `options` (the host has typed and defaulted them; they are
// checked again here, since a plugin can be called directly with `syncer plugins call`).
import { JsonKind, Request } from "../../sdk/index";

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

/** The call's options as Settings; `problem` says what is wrong with them. */
export function settingsOf(call: Request): Settings {
  const settings = new Settings();
  const options = call.options;
  if (options.has("group_by") && !options.get("group_by").isNull) {
    const reader = options.get("group_by").reader();
    if (reader.kind() != JsonKind.Array) settings.problem = "group_by must be a list of label names";
    else {
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
    }
  }
  if (options.has("group_prefix") && !options.get("group_prefix").isNull) {
    const reader = options.get("group_prefix").reader();
    if (reader.kind() == JsonKind.String) settings.groupPrefix = reader.string();
    else settings.problem = "group_prefix must be a string";
  }
  if (options.has("hostvars") && !options.get("hostvars").isNull) {
    const value = call.optionString("hostvars");
    if (value == "labels") settings.hostvars = HostVars.Labels;
    else if (value == "labels_and_inventory") settings.hostvars = HostVars.LabelsAndInventory;
    else if (value == "none") settings.hostvars = HostVars.None;
    else settings.problem = "hostvars must be one of labels, labels_and_inventory, none";
  }
  return settings;
}
