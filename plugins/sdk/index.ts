// The Syncer plugin SDK for AssemblyScript (ABI v1). A plugin imports from here and writes business
// logic only: importers map an upstream's records (importer.ts), exporters bring a target in line with
// the hosts they are sent (exporter.ts); the request, response and error plumbing is the SDK's.
//
// Layout: abi.generated.ts (the ABI's messages, generated from src/plugins/abi.ts), json-*.ts (the one
// JSON reader, the document view over it, the writer), importer.ts and exporter.ts (the helpers),
// http.ts (HTTP and JSON APIs), mapping.ts and selector.ts (items to host records by options),
// call.ts (request, output, fail, log, file, kv, events, hosts), host.ts (the host functions),
// the rest small byte-level helpers.
import { JSON } from "json-as";

export { JSON };
export * from "./abi.generated";
export * from "./call";
export { ByteBuffer } from "./byte-buffer";
export { JsonWriter } from "./json-writer";
export { JsonReader, JsonKind, JSON_MAX_DEPTH, describeKind } from "./json-reader";
export { JsonDocument, JsonValue, JsonMember } from "./json-document";
export { JsonRaw } from "./json-raw";
export { FileWindow } from "./file-window";
export { Fingerprint } from "./fingerprint";
export { isValidUtf8, writeUtf8 } from "./utf8-bytes";
export { http, JsonApi, ApiResponse, Query, base64, basicAuth, nextInLinkHeader, resolveUrl } from "./http";
export { Importer, ImportPage, runImport } from "./importer";
export { Exporter, ExportPage, HostEntry, HostVisitor, runExport, visitHosts } from "./exporter";
export { Field, Mapping, MappingResult, RecordResult, PageResult, ListResult, mappingFromOptions, recordOf, pageOf, listAt } from "./mapping";
export { Selector, Selection, ParsedSelector, Step, parseSelector, parseListSelector, select } from "./selector";
