// The checkmk plugin: exports Syncer's hosts into a Checkmk site through its REST API (docs/checkmk.md).
// export_hosts is an export with phases (docs/abi-v1.md): read_site reads every host of the site once,
// each page is diffed against it and written in bulk (export.ts), finish_export deletes the hosts Syncer
// made that it no longer exports and activates.
import { ErrorKind, fail, log, outputString, request, runExport, runImport } from "../../sdk/index";
import { activate } from "./activation";
import { SiteExporter } from "./export";
import { finishExport } from "./finish";
import { SiteImporter } from "./import";
import { readSite } from "./site";
import { settingsOf } from "./settings";

export function read_site(): i32 {
  return readSite();
}

export function export_hosts(): i32 {
  return runExport(new SiteExporter());
}

export function import_hosts(): i32 {
  return runImport(new SiteImporter());
}

export function finish_export(): i32 {
  return finishExport();
}

export function activate_changes(): i32 {
  const call = request();
  if (call.account === null) return fail(ErrorKind.Options, "activate_changes needs an account");
  const settings = settingsOf(call.account!);
  if (settings.problem.length > 0) return fail(ErrorKind.Options, settings.problem);
  const activation = activate(settings, call.dry_run);
  if (!activation.ok) return fail(activation.errorKind, activation.message);
  log.info(activation.message);
  outputString('"' + activation.message.replaceAll('"', "'") + '"');
  return 0;
}
