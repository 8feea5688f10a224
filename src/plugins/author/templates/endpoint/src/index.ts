// A Syncer endpoint plugin (ABI v1). Each endpoint the manifest declares is served by syncer at
// /api/v1/plugins/<ident><path> for callers with an API token; the plugin gets the request as its input
// and answers {status, headers?, body?}. See the SDK in ../sdk and the guide in Syncer's docs/plugins.md.
import { request, output, kv, JSON } from "../sdk/index";

const PREFIX = "note/";

/** The request as an endpoint receives it (credentials stripped). */
@json
class EndpointRequest {
  method: string = "";
  path: string = "";
  query: Map<string, JSON.Raw> = new Map<string, JSON.Raw>();
  body: string | null = null;
}

/** What POST /notes takes. */
@json
class Note {
  name: string = "";
  text: string = "";
}

@json
class Notes {
  notes: Map<string, string> = new Map<string, string>();
}

@json
class Message {
  message: string = "";
}

@json
class NotesAnswer {
  status: i32 = 200;
  body: Notes = new Notes();
}

@json
class MessageAnswer {
  status: i32 = 200;
  body: Message = new Message();
}

function answerMessage(status: i32, message: string): i32 {
  const answer = new MessageAnswer();
  answer.status = status;
  answer.body.message = message;
  output<MessageAnswer>(answer);
  return 0;
}

export function list_notes(): i32 {
  const answer = new NotesAnswer();
  const names = kv.keys(PREFIX);
  for (let i = 0; i < names.length; i++) {
    const text = kv.get(names[i]);
    if (text !== null) answer.body.notes.set(names[i].slice(PREFIX.length), text);
  }
  output<NotesAnswer>(answer);
  return 0;
}

export function save_note(): i32 {
  const body = request().inputAs<EndpointRequest>().body;
  if (body === null) return answerMessage(400, 'send {"name": "…", "text": "…"}');
  const note = JSON.parse<Note>(body);
  if (note.name.length == 0) return answerMessage(400, "a note needs a name");
  const replaced = kv.contains(PREFIX + note.name);
  kv.set(PREFIX + note.name, note.text);
  return answerMessage(replaced ? 200 : 201, (replaced ? "replaced " : "saved ") + note.name);
}

export function delete_note(): i32 {
  const query = request().inputAs<EndpointRequest>().query;
  if (!query.has("name")) return answerMessage(400, "say which note: ?name=…");
  const name = JSON.parse<string>(query.get("name").data);
  if (!kv.remove(PREFIX + name)) return answerMessage(404, "no note " + name);
  return answerMessage(200, "deleted " + name);
}
