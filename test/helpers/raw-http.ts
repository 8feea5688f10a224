import { connect } from "node:net";

/**
 * One HTTP/1.1 request written to a TCP socket exactly as given: unlike fetch, nothing resolves dot
 * segments or re-encodes the request-target before it reaches the server.
 */
export async function rawRequest(baseUrl: string, method: string, target: string, headers: Record<string, string> = {}, body = ""): Promise<{ status: number; body: any }> {
  const { hostname, port } = new URL(baseUrl);
  const head = [`${method} ${target} HTTP/1.1`, `host: ${hostname}:${port}`, "connection: close", `content-length: ${Buffer.byteLength(body)}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  const answer = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname, () => socket.write(`${head.join("\r\n")}\r\n\r\n${body}`));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("end", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.on("error", reject);
  });
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
  const split = answer.indexOf("\r\n\r\n");
  const text = /^transfer-encoding: chunked$/im.test(answer.slice(0, split)) ? unchunked(answer.slice(split + 4)) : answer.slice(split + 4);
  // Read as Latin-1 so that chunk sizes count bytes; the body is UTF-8.
  const utf8 = Buffer.from(text, "latin1").toString("utf8");
  let parsed: unknown = utf8;
  try {
    parsed = JSON.parse(utf8);
  } catch {}
  return { status, body: parsed };
}

/** A chunked body's data (RFC 9112 §7.1), the chunk sizes and trailers left out. */
function unchunked(body: string): string {
  let data = "";
  for (let at = 0; ; ) {
    const line = body.indexOf("\r\n", at);
    const size = parseInt(body.slice(at, line), 16);
    if (!(size > 0)) return data;
    data += body.slice(line + 2, line + 2 + size);
    at = line + 2 + size + 2;
  }
}
