// The netbox plugin's account and options, read and checked once per call.
import { Account, JsonApi } from "../../sdk/index";

export class Settings {
  /** NetBox's API (`<address>/api`), with the token's header. */
  api: JsonApi = new JsonApi("");
  pageSize: i64 = 1000;
  /** name=value pairs, in order. */
  filterNames: string[] = [];
  filterValues: string[] = [];
  /** label_fields: a dotted path into the object ("site.name") → the label it makes ("site"). */
  labelPaths: Map<string, string> = new Map<string, string>();
  customFieldPrefix: string = "cf_";
  /** The account's name (kv keys and messages). */
  account: string = "";
  /** The slug of the tag that marks the objects Syncer made: only those are ever updated or deleted. */
  tag: string = "syncer";
  /** Exports: create missing sites, roles, platforms, manufacturers and device types. */
  createMissing: bool = false;
  /** Exports: objects per bulk request. */
  chunkSize: i32 = 250;
  /** Imports: read only what changed since the last successful run (last_updated__gte). */
  delta: bool = false;
  /** Imports in delta mode: how far before the last successful run's start to look (clock skew between Syncer and NetBox). */
  deltaMarginSeconds: i64 = 300;
  /** An options problem, "" when there is none. */
  problem: string = "";

  refuse(problem: string): Settings {
    this.problem = problem;
    return this;
  }
}

export function settingsOf(account: Account): Settings {
  const settings = new Settings();
  let address = account.address.trim();
  if (address.length == 0) return settings.refuse("the account needs an address: NetBox's URL, such as https://netbox.example.com (the API is at <address>/api/)");
  while (address.endsWith("/")) address = address.substring(0, address.length - 1);
  if (address.endsWith("/api")) address = address.substring(0, address.length - 4);
  if (account.password.length == 0) return settings.refuse("the account needs NetBox's API token as its password");
  settings.api = new JsonApi(address + "/api");
  // The token goes into this header only: never into a log line or a message.
  const style = account.optionString("token_style", "token");
  settings.api.header("Authorization", style == "bearer" ? "Bearer " + account.password : "Token " + account.password);
  settings.pageSize = account.optionInt("page_size", 1000);
  if (settings.pageSize < 1 || settings.pageSize > 1000) return settings.refuse("page_size must be between 1 and 1000 (NetBox's largest page), not " + settings.pageSize.toString());
  const filters = account.optionList("filters");
  for (let i = 0; i < filters.length; i++) {
    const entry = filters[i].trim();
    const cut = entry.indexOf("=");
    if (cut <= 0) return settings.refuse("filters: '" + entry + "' is not name=value (such as site=berlin)");
    const name = entry.substring(0, cut).trim();
    if (name == "limit" || name == "offset") return settings.refuse("filters: " + name + " is the plugin's own paging: set page_size instead");
    settings.filterNames.push(name);
    settings.filterValues.push(entry.substring(cut + 1).trim());
  }
  const fields = account.optionList("label_fields");
  for (let i = 0; i < fields.length; i++) {
    const entry = fields[i].trim();
    const cut = entry.indexOf("=");
    const name = cut < 0 ? entry : entry.substring(0, cut).trim();
    const path = cut < 0 ? entry : entry.substring(cut + 1).trim();
    if (name.length == 0 || path.length == 0 || path.startsWith(".") || path.endsWith(".") || path.includes("..")) {
      return settings.refuse("label_fields: '" + entry + "' is not name=path (such as site=site.name)");
    }
    settings.labelPaths.set(path, name);
  }
  settings.customFieldPrefix = account.optionString("custom_field_prefix", "cf_");
  settings.account = account.name;
  settings.tag = account.optionString("tag", "syncer").trim();
  if (!isSlug(settings.tag)) return settings.refuse("tag '" + settings.tag + "' is not a NetBox slug (letters, digits, '-' and '_')");
  settings.createMissing = account.optionBool("create_missing", false);
  const chunk = account.optionInt("chunk_size", 250);
  if (chunk < 1 || chunk > 1000) return settings.refuse("chunk_size must be between 1 and 1000, not " + chunk.toString());
  settings.chunkSize = <i32>chunk;
  settings.delta = account.optionBool("delta", false);
  settings.deltaMarginSeconds = account.optionInt("delta_margin_seconds", 300);
  if (settings.deltaMarginSeconds < 0) return settings.refuse("delta_margin_seconds must not be negative");
  return settings;
}

/** Whether `text` is a NetBox slug: 1-100 letters, digits, '-' and '_'. */
export function isSlug(text: string): bool {
  if (text.length == 0 || text.length > 100) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x2d || c == 0x5f;
    if (!ok) return false;
  }
  return true;
}

/** A slug made of a name, as NetBox's UI makes one: lower case, runs of other characters as one '-', at most 100. */
export function slugOf(name: string): string {
  let out = "";
  let dash = false;
  const lower = name.toLowerCase();
  for (let i = 0; i < lower.length; i++) {
    const c = lower.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || c == 0x5f;
    if (ok) {
      if (dash && out.length > 0) out += "-";
      out += String.fromCharCode(c);
      dash = false;
    } else {
      dash = true;
    }
  }
  if (out.length > 100) out = out.substring(0, 100);
  return out.length == 0 ? "x" : out;
}

/**
 * The `last_updated__gte` of a delta import: the last successful run's start less the margin, in NetBox's
 * ISO 8601; null without such a run (the whole list is read then).
 */
export function deltaSince(lastSuccess: string | null, marginSeconds: i64): string | null {
  if (lastSuccess === null) return null;
  const at = Date.fromString(lastSuccess!).getTime() - marginSeconds * 1000;
  return new Date(at).toISOString();
}
