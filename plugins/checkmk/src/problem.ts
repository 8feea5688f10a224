// Checkmk's error answers ({title, status, detail, fields, ext}) as one line an operator can act on.
import { ApiResponse, JsonDocument, JsonKind } from "../../sdk/index";

/** The request's failure: Checkmk's title, detail and the fields it names, else the SDK's message. */
export function problemOf(answer: ApiResponse): string {
  if (answer.status < 400 || answer.body.trim().length == 0) return answer.errorMessage;
  const document = JsonDocument.fromString(answer.body);
  if (document.check() !== null || document.root().kind != JsonKind.Object) return answer.errorMessage;
  const root = document.root();
  const title = root.stringAt("title");
  const detail = root.stringAt("detail");
  let text = "HTTP " + answer.status.toString() + (title !== null ? ": " + title! : "");
  if (detail !== null && detail!.length > 0) text += ": " + detail!;
  const fields = root.member("fields");
  if (fields !== null && fields.kind == JsonKind.Object) text += " (fields: " + fields.compactText() + ")";
  return text;
}

/**
 * The hosts a bulk request's "Some actions failed" answer names as refused (`ext.failed_hosts`, by host
 * name with Checkmk's reason); the others were done. Empty when the answer is not that.
 */
export function failedHosts(answer: ApiResponse): Map<string, string> {
  const failed = new Map<string, string>();
  if (answer.status != 400 || answer.body.length == 0) return failed;
  const document = JsonDocument.fromString(answer.body);
  if (document.check() !== null) return failed;
  const ext = document.root().member("ext");
  if (ext === null) return failed;
  const hosts = ext.member("failed_hosts");
  if (hosts === null || hosts.kind != JsonKind.Object) return failed;
  const members = hosts.members();
  for (let i = 0; i < members.length; i++) {
    const reason = members[i].value;
    failed.set(members[i].key, reason.kind == JsonKind.String ? reason.asString() : reason.compactText());
  }
  return failed;
}
