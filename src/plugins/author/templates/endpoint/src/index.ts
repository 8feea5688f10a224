// A Syncer endpoint plugin (ABI v1). Each endpoint the manifest declares is served by syncer at
// /api/v1/plugins/<ident><path> for callers with an API token; the plugin gets the request as its input
// (EndpointRequest) and answers an EndpointAnswer {status, headers, body}. The notes live in the plugin's
// key-value cache (kv: get, set, contains, keys, remove, flush). See the SDK in ../sdk and the guide in
// Syncer's docs/plugins.md.
import { EndpointAnswer, EndpointRequest, JsonDocument, JsonRaw, JsonWriter, kv, request } from "../sdk/index";

const PREFIX = "note/";

/** The request as the endpoint receives it (credentials stripped). */
function endpointRequest(): EndpointRequest {
  return EndpointRequest.read(request().input.reader());
}

/** Answers `status` with the JSON body `body` wrote. */
function answer(status: i32, body: JsonWriter): i32 {
  const reply = new EndpointAnswer();
  reply.status = status;
  reply.body = new JsonRaw(body.toString());
  const out = new JsonWriter(256);
  reply.write(out);
  out.output();
  return 0;
}

/** Answers `status` with {"message": message}. */
function answerMessage(status: i32, message: string): i32 {
  const body = new JsonWriter(64 + message.length * 3);
  body.beginObject();
  body.key("message");
  body.string(message);
  body.endObject();
  return answer(status, body);
}

export function list_notes(): i32 {
  const body = new JsonWriter(4096);
  body.beginObject();
  body.key("notes");
  body.beginObject();
  const names = kv.keys(PREFIX);
  for (let i = 0; i < names.length; i++) {
    const text = kv.get(names[i]);
    if (text === null) continue; // expired since it was listed
    body.key(names[i].slice(PREFIX.length));
    body.string(text);
  }
  body.endObject();
  body.endObject();
  return answer(200, body);
}

export function save_note(): i32 {
  const sent = endpointRequest().body;
  const usage = 'send {"name": "…", "text": "…"}';
  if (sent === null) return answerMessage(400, usage);
  const document = JsonDocument.fromString(sent);
  const problem = document.check();
  if (problem !== null) return answerMessage(400, "the body is not JSON: " + problem);
  const name = document.root().stringAt("name");
  const text = document.root().stringAt("text");
  if (name === null || text === null) return answerMessage(400, usage);
  if (name.length == 0) return answerMessage(400, "a note needs a name");
  const replaced = kv.contains(PREFIX + name);
  kv.set(PREFIX + name, text);
  return answerMessage(replaced ? 200 : 201, (replaced ? "replaced " : "saved ") + name);
}

export function delete_note(): i32 {
  const query = endpointRequest().query;
  // A query value is a string, or a list when the parameter is repeated.
  const name = query.has("name") ? JsonDocument.fromString(query.get("name").data).root().scalarText() : null;
  if (name === null) return answerMessage(400, "say which note, once: ?name=…");
  if (!kv.remove(PREFIX + name)) return answerMessage(404, "no note " + name);
  return answerMessage(200, "deleted " + name);
}
