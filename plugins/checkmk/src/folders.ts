// The site's folders, sorted with the root first: the pages of import_hosts and of the export's begin
// phase, each one folder's hosts (the site's whole host list can be larger than an answer may be).
import { Query } from "../../sdk/index";
import { problemOf } from "./problem";
import { Settings, normalFolder } from "./settings";

export class Folders {
  paths: string[] = [];
  errorKind: string = "";
  /** Why they could not be read, "" when they were. */
  problem: string = "";
}

export function foldersOf(settings: Settings): Folders {
  const result = new Folders();
  const listed = settings.api.get("/domain-types/folder_config/collections/all", new Query().set("recursive", "true"));
  if (!listed.ok) {
    result.errorKind = listed.errorKind;
    result.problem = "reading the site's folders: " + problemOf(listed);
    return result;
  }
  const found = new Array<string>();
  const value = listed.document!.root().member("value");
  if (value !== null) {
    const folders = value.elements();
    for (let i = 0; i < folders.length; i++) {
      const extensions = folders[i].member("extensions");
      const path: string | null = extensions === null ? null : extensions.stringAt("path");
      if (path === null) continue;
      const normal = normalFolder(path!);
      if (normal !== null && normal! != "/") found.push(normal!);
    }
  }
  found.sort();
  found.unshift("/");
  result.paths = found;
  return result;
}
