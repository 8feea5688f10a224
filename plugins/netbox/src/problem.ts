// NetBox's error answers as lines an operator can act on: a validation error (400) is an object of field →
// messages ({"site": ["Related object not found …"]}), or for a bulk create a list of such objects, one per
// object of the request ({} for the fine ones); other errors carry {"detail": "…"}.
import { ApiResponse, JsonDocument, JsonKind, JsonValue } from "../../sdk/index";

/** `{"site": ["a", "b"], "__all__": ["c"]}` as `site: a, b; c`. */
export function fieldMessages(value: JsonValue): string {
  if (value.kind != JsonKind.Object) return value.kind == JsonKind.String ? value.asString() : value.compactText();
  const parts = new Array<string>();
  const members = value.members();
  for (let i = 0; i < members.length; i++) {
    const messages = new Array<string>();
    const inner = members[i].value;
    if (inner.kind == JsonKind.Array) {
      const items = inner.elements();
      for (let m = 0; m < items.length; m++) messages.push(items[m].kind == JsonKind.String ? items[m].asString() : items[m].compactText());
    } else {
      messages.push(inner.kind == JsonKind.String ? inner.asString() : inner.compactText());
    }
    const key = members[i].key;
    parts.push((key == "__all__" || key == "non_field_errors" ? "" : key + ": ") + messages.join(", "));
  }
  return parts.join("; ");
}

/** The answer's JSON when it is an error with a JSON body, else null. */
export function errorBody(answer: ApiResponse): JsonValue | null {
  if (answer.status < 400 || answer.body.trim().length == 0) return null;
  const document = JsonDocument.fromString(answer.body);
  if (document.check() !== null) return null;
  return document.root();
}

/** A failed request in one line: NetBox's field messages or detail for a 4xx with JSON, else the SDK's message. */
export function problemOf(answer: ApiResponse): string {
  const body = errorBody(answer);
  if (body === null) return answer.errorMessage;
  const prefix = "HTTP " + answer.status.toString() + ": ";
  if (body.kind == JsonKind.Object) {
    const detail = body.stringAt("detail");
    if (detail !== null) return prefix + detail!;
    return prefix + fieldMessages(body);
  }
  return answer.errorMessage;
}

/** Whether the failure stops the whole call: NetBox refused the token, or cannot be reached. */
export function isFatal(answer: ApiResponse): bool {
  return answer.errorKind == "auth" || answer.errorKind == "connection" || answer.errorKind == "timeout" || answer.errorKind == "permission";
}
