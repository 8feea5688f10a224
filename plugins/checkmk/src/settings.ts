// The checkmk plugin's account and options, read and checked once per call.
import { Account, JsonApi } from "../../sdk/index";

/** The label on every host Syncer creates, valued with the account's name: only hosts carrying it are ever changed or deleted. */
export const OWNER_LABEL = "cmdb_syncer";

export class Settings {
  /** The site's REST API (`<address>/check_mk/api/1.0`), with the automation user's bearer header. */
  api: JsonApi = new JsonApi("");
  account: string = "";
  defaultFolder: string = "/";
  labelPrefix: string = "";
  createChunk: i32 = 300;
  updateChunk: i32 = 50;
  deleteChunk: i32 = 50;
  /** Bytes of host collections the begin phase reads per call (option read_kib). */
  readBytes: i32 = 8 << 20;
  activate: bool = true;
  waitRounds: i32 = 60;
  forceForeign: bool = false;
  /** An options problem, "" when there is none. */
  problem: string = "";

  refuse(problem: string): Settings {
    this.problem = problem;
    return this;
  }
}

function chunk(account: Account, name: string, fallback: i64, settings: Settings): i32 {
  const value = account.optionInt(name, fallback);
  if (value < 1 || value > 10000) settings.refuse(name + " must be between 1 and 10000, not " + value.toString());
  return <i32>value;
}

export function settingsOf(account: Account): Settings {
  const settings = new Settings();
  let address = account.address.trim();
  if (address.length == 0) return settings.refuse("the account needs an address: the site's URL, such as https://monitoring.example.com/mysite");
  while (address.endsWith("/")) address = address.substring(0, address.length - 1);
  if (account.username.length == 0 || account.password.length == 0) {
    return settings.refuse("the account needs the automation user as username and its secret as password");
  }
  settings.api = new JsonApi(address + "/check_mk/api/1.0");
  // The secret goes into this header only: never into a log line or a message.
  settings.api.header("Authorization", "Bearer " + account.username + " " + account.password);
  settings.account = account.name;
  const folder = normalFolder(account.optionString("default_folder", "/"));
  if (folder === null) return settings.refuse("default_folder '" + account.optionString("default_folder", "/") + "' is not a folder path such as /servers/berlin");
  settings.defaultFolder = folder!;
  settings.labelPrefix = account.optionString("label_prefix", "");
  settings.createChunk = chunk(account, "create_chunk", 300, settings);
  settings.updateChunk = chunk(account, "update_chunk", 50, settings);
  settings.deleteChunk = chunk(account, "delete_chunk", 50, settings);
  const readKib = account.optionInt("read_kib", 8192);
  if (readKib < 1 || readKib > 65536) settings.refuse("read_kib must be between 1 and 65536, not " + readKib.toString());
  settings.readBytes = <i32>readKib * 1024;
  settings.activate = account.optionBool("activate", true);
  settings.waitRounds = <i32>account.optionInt("activation_wait_rounds", 60);
  settings.forceForeign = account.optionBool("force_foreign_changes", false);
  return settings;
}

/**
 * A folder path as Checkmk writes it in a host's `folder`: "/" for the root, else "/a/b" (no trailing
 * slash). Segments are Checkmk's folder names: letters, digits, '-', '_'. Null when it is not one.
 */
export function normalFolder(path: string): string | null {
  const parts = path.trim().replaceAll("\\", "/").split("/");
  let out = "";
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part.length == 0) continue;
    for (let c = 0; c < part.length; c++) {
      const code = part.charCodeAt(c);
      const ok = (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code == 0x2d || code == 0x5f;
      if (!ok) return null;
    }
    out += "/" + part;
  }
  return out.length == 0 ? "/" : out;
}

/** A folder in a URL: `~a~b`, `~` for the root. */
export function folderSlug(folder: string): string {
  return folder == "/" ? "~" : folder.replaceAll("/", "~");
}

/** The path of a folder's host collection. */
export function folderHostsPath(folder: string): string {
  return "/objects/folder_config/" + folderSlug(folder) + "/collections/hosts";
}
