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
  return settings;
}
