/**
 * An OpenAPI 3.0 document read once per process: the YAML contracts are large (NetBox's is 4 MB), and every
 * test file that starts a fake shares the parsed tree. Bun's own YAML parser reads them in well under a second
 * where the `yaml` package needs over ten (checked: both give the same tree), so no YAML package is added.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The contracts, copied from the workplace's `shared/specs/` into the repository so that a clean clone tests
 * against them (test/fakes/specs.test.ts fails when a copy drifts from shared/specs/ where that folder exists).
 */
export const SPECS_DIR = join(import.meta.dir, "..", "specs");
/** The workplace's own copies, beside the repository, when there are any. */
export const SHARED_SPECS_DIR = join(import.meta.dir, "..", "..", "..", "..", "shared", "specs");

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, PathItem>;
  components: { schemas: Record<string, SchemaObject>; parameters?: Record<string, ParameterObject> };
  security?: Record<string, string[]>[];
}

export type SchemaObject = Record<string, any>;

export interface ParameterObject {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema?: SchemaObject;
  style?: string;
  explode?: boolean;
}

export interface MediaObject {
  schema?: SchemaObject;
}

export interface OperationObject {
  operationId: string;
  parameters?: (ParameterObject | { $ref: string })[];
  requestBody?: { required?: boolean; content: Record<string, MediaObject> };
  responses: Record<string, { content?: Record<string, MediaObject>; headers?: Record<string, { required?: boolean; schema?: SchemaObject }> }>;
  security?: Record<string, string[]>[];
}

export type PathItem = Partial<Record<HttpMethod, OperationObject>> & { parameters?: ParameterObject[] };

export const HTTP_METHODS = ["get", "put", "post", "delete", "patch", "head", "options"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

const loaded = new Map<string, OpenApiDocument>();

/** The document in `shared/specs/<file>`, parsed on first use; callers must not change it (copy first). */
export function openApiDocument(file: string): OpenApiDocument {
  let document = loaded.get(file);
  if (!document) {
    document = Bun.YAML.parse(readFileSync(join(SPECS_DIR, file), "utf8")) as OpenApiDocument;
    if (!document?.openapi?.startsWith("3.0")) throw new Error(`${file}: not an OpenAPI 3.0 document`);
    loaded.set(file, document);
  }
  return document;
}
