// The rest plugin's options, read and checked once per call. The host has already typed them and
// checked the choices (auth, paging); what is left is what only the plugin can judge.
import { Account, JsonApi, Selector, basicAuth, parseListSelector, parseSelector } from "../../sdk/index";

export class Settings {
  /** The API at the account's address, with the auth header. */
  api: JsonApi = new JsonApi("");
  /** The account's address joined with `endpoint`: the first page's URL. */
  url: string = "";
  paging: string = "none";
  listSelector: Selector | null = null;
  nextSelector: Selector | null = null;
  offsetParam: string = "offset";
  limitParam: string = "limit";
  pageSize: i64 = 100;
  /** An options problem, "" when there is none. */
  problem: string = "";

  refuse(problem: string): Settings {
    this.problem = problem;
    return this;
  }
}

export function settingsOf(account: Account): Settings {
  const settings = new Settings();
  const address = account.address.trim();
  // Required even with a whole-URL endpoint: the host lets the plugin reach only the address's host.
  if (address.length == 0) return settings.refuse("the account needs an address: the API's base URL, such as https://cmdb.example.com/api");
  settings.api = new JsonApi(address);
  settings.url = settings.api.url(account.optionString("endpoint", "/hosts").trim());
  settings.paging = account.optionString("paging", "none");

  // The credentials go into a header only: never into a log line or a message.
  const auth = account.optionString("auth", "none");
  if (auth == "bearer") {
    if (account.password.length == 0) return settings.refuse("auth = bearer needs the token as the account's password");
    settings.api.header("Authorization", "Bearer " + account.password);
  } else if (auth == "basic") {
    if (account.username.length == 0) return settings.refuse("auth = basic needs the account's username and password");
    settings.api.header("Authorization", basicAuth(account.username, account.password));
  }

  const list = parseListSelector(account.optionString("list_selector", "$"));
  if (list.selector === null) return settings.refuse("list_selector: " + list.problem);
  settings.listSelector = list.selector;
  const next = parseSelector(account.optionString("next_selector", "$.next"));
  if (next.selector === null) return settings.refuse("next_selector: " + next.problem);
  settings.nextSelector = next.selector;

  settings.offsetParam = account.optionString("offset_param", "offset").trim();
  settings.limitParam = account.optionString("limit_param", "limit").trim();
  if (settings.paging == "offset" && (settings.offsetParam.length == 0 || settings.limitParam.length == 0)) {
    return settings.refuse("paging = offset needs offset_param and limit_param (the query parameters' names)");
  }
  settings.pageSize = account.optionInt("page_size", 100);
  if (settings.pageSize < 1) return settings.refuse("page_size must be at least 1, not " + settings.pageSize.toString());
  return settings;
}
