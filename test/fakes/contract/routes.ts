/** The operations of an OpenAPI document, found by method and request path. */
import { HTTP_METHODS, type HttpMethod, type OpenApiDocument, type OperationObject, type ParameterObject } from "./document.ts";

export interface Route {
  method: HttpMethod;
  /** The path template as the contract writes it, e.g. `/objects/host_config/{host_name}`. */
  template: string;
  operation: OperationObject;
  /** Path-level and operation-level parameters, `$ref`s resolved, the operation's winning on a clash. */
  parameters: ParameterObject[];
}

export type RouteMatch =
  | { kind: "found"; route: Route; pathParams: Record<string, string> }
  | { kind: "no-path" }
  | { kind: "no-method"; allowed: string[] };

interface Template {
  template: string;
  pattern: RegExp;
  names: string[];
  literalSegments: number;
  routes: Map<HttpMethod, Route>;
}

export class Routes {
  private readonly templates: Template[] = [];

  constructor(document: OpenApiDocument) {
    for (const [template, item] of Object.entries(document.paths)) {
      const names: string[] = [];
      const source = template
        .split("/")
        .map((segment) => segment.replace(/\{([^}]+)\}|[^{]+/g, (part, name?: string) => (name ? (names.push(name), "([^/]+)") : escapeRegExp(part))))
        .join("/");
      const routes = new Map<HttpMethod, Route>();
      for (const method of HTTP_METHODS) {
        const operation = item[method];
        if (!operation) continue;
        routes.set(method, { method, template, operation, parameters: mergedParameters(document, item.parameters ?? [], operation.parameters ?? []) });
      }
      const literalSegments = template.split("/").filter((segment) => segment && !segment.includes("{")).length;
      this.templates.push({ template, pattern: new RegExp(`^${source}$`), names, literalSegments, routes });
    }
    // A literal segment beats a parameter: `/devices/render-config/` before `/devices/{id}/`.
    this.templates.sort((a, b) => b.literalSegments - a.literalSegments || a.names.length - b.names.length);
  }

  /** `path` is the request path below the API's base, still percent-encoded. */
  match(method: string, path: string): RouteMatch {
    const lower = method.toLowerCase() as HttpMethod;
    let allowed: string[] | undefined;
    for (const template of this.templates) {
      const found = template.pattern.exec(path);
      if (!found) continue;
      const route = template.routes.get(lower);
      if (!route) {
        allowed ??= [...template.routes.keys()].map((m) => m.toUpperCase());
        continue;
      }
      const pathParams: Record<string, string> = {};
      template.names.forEach((name, index) => (pathParams[name] = safeDecode(found[index + 1]!)));
      return { kind: "found", route, pathParams };
    }
    return allowed ? { kind: "no-method", allowed } : { kind: "no-path" };
  }

  all(): Route[] {
    return this.templates.flatMap((template) => [...template.routes.values()]);
  }
}

function mergedParameters(document: OpenApiDocument, pathLevel: ParameterObject[], operationLevel: (ParameterObject | { $ref: string })[]): ParameterObject[] {
  const resolve = (parameter: ParameterObject | { $ref: string }): ParameterObject => {
    if (!("$ref" in parameter)) return parameter;
    const name = parameter.$ref.replace("#/components/parameters/", "");
    const found = document.components.parameters?.[name];
    if (!found) throw new Error(`unresolved parameter ${parameter.$ref}`);
    return found;
  };
  const byKey = new Map<string, ParameterObject>();
  for (const parameter of [...pathLevel.map(resolve), ...operationLevel.map(resolve)]) byKey.set(`${parameter.in}:${parameter.name.toLowerCase()}`, parameter);
  return [...byKey.values()];
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
