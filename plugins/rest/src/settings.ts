// The rest plugin's options, read and checked once per call. The host has already typed them and
// checked the choices (auth, paging); what is left is what only the plugin can judge.

import { Account } from "../../sdk/index";
import { Selector, parseListSelector, parseSelector } from "../../sdk/sources/selector";

export class Settings {
  /** The account's address joined with `endpoint`: the first page's URL. */
  url: string = "";
  auth: string = "none";
  paging: string = "none";
  listSelector: Selector | null = null;
  nextSelector: Selector | null = null;
  offsetParam: string = "offset";
  limitParam: string = "limit";
  pageSize: i64 = 100;
}

export class SettingsResult {
  settings: Settings | null = null;
  problem: string = "";
}

function refused(problem: string): SettingsResult {
  const result = new SettingsResult();
  result.problem = problem;
  return result;
}

/** address + endpoint, with one '/' between; an endpoint that is a whole URL (on the address's host) stands alone. */
export function joinUrl(address: string, endpoint: string): string {
  if (endpoint.startsWith("http://") || endpoint.startsWith("https://")) return endpoint;
  let base = address;
  while (base.endsWith("/")) base = base.substring(0, base.length - 1);
  if (endpoint.length == 0 || endpoint.startsWith("/") || endpoint.startsWith("?")) return base + endpoint;
  return base + "/" + endpoint;
}

export function settingsOf(account: Account): SettingsResult {
  const settings = new Settings();
  const endpoint = account.optionString("endpoint", "/hosts").trim();
  const address = account.address.trim();
  // Required even with a whole-URL endpoint: the host lets the plugin reach only the address's host.
  if (address.length == 0) return refused("the account needs an address: the API's base URL, such as https://cmdb.example.com/api");
  settings.url = joinUrl(address, endpoint);
  settings.auth = account.optionString("auth", "none");
  settings.paging = account.optionString("paging", "none");

  const list = parseListSelector(account.optionString("list_selector", "$"));
  if (list.selector === null) return refused("list_selector: " + list.problem);
  settings.listSelector = list.selector;
  const next = parseSelector(account.optionString("next_selector", "$.next"));
  if (next.selector === null) return refused("next_selector: " + next.problem);
  settings.nextSelector = next.selector;

  settings.offsetParam = account.optionString("offset_param", "offset").trim();
  settings.limitParam = account.optionString("limit_param", "limit").trim();
  if (settings.paging == "offset" && (settings.offsetParam.length == 0 || settings.limitParam.length == 0)) {
    return refused("paging = offset needs offset_param and limit_param (the query parameters' names)");
  }
  settings.pageSize = account.optionInt("page_size", 100);
  if (settings.pageSize < 1) return refused("page_size must be at least 1, not " + settings.pageSize.toString());

  const result = new SettingsResult();
  result.settings = settings;
  return result;
}
