/**
 * The dependency rule of docs/architecture.md, checked on every import in src/ (type-only ones too: a
 * type is a dependency a reader has to follow):
 * - a folder imports only its own layer or the layers below it;
 * - no top-level folders import each other in a circle, nor do sibling subfolders (`plugins/host` and
 *   `plugins/sandbox`); a folder's own files are the shared room of its subfolders, so `cli/commands`
 *   may use `cli/context.ts` while `cli/program.ts` registers the commands;
 * - no files import each other in a circle, at any distance.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { Glob } from "bun";

const SRC = join(import.meta.dir, "..", "..", "src");

/** Bottom to top; the top-level folders of src/ in each layer. main.ts is the program's entry, above all. */
const LAYERS: { name: string; folders: string[] }[] = [
  { name: "core", folders: ["core"] },
  { name: "config", folders: ["config"] },
  { name: "storage", folders: ["db"] },
  { name: "domain", folders: ["plugins", "inventory", "auth", "rules"] },
  { name: "use cases", folders: ["runs", "scheduler", "maintenance", "events"] },
  { name: "composition root", folders: ["app"] },
  { name: "edges", folders: ["cli", "http", "ops", "schemas"] },
];
const ENTRY = "main.ts";

const rankOf = new Map(LAYERS.flatMap((layer, rank) => layer.folders.map((folder) => [folder, rank] as const)));

interface Import {
  from: string;
  to: string;
}

/** Every relative import (static, dynamic, re-export) between files of src/, as paths relative to src/. */
function importsOf(): Import[] {
  const found: Import[] = [];
  const specifier = /(?:import|export)\s[^;]*?from\s*["'](\.{1,2}\/[^"']+)["']|import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;
  for (const file of new Glob("**/*.{ts,tsx}").scanSync(SRC)) {
    const text = readFileSync(join(SRC, file), "utf8");
    for (const match of text.matchAll(specifier)) {
      const target = relative(SRC, resolve(SRC, dirname(file), (match[1] ?? match[2])!));
      if (!target.startsWith("..")) found.push({ from: file, to: target });
    }
  }
  return found;
}

const topFolder = (file: string) => (file.includes("/") ? file.slice(0, file.indexOf("/")) : file);

/** Strongly connected components with more than one node (Tarjan), each sorted. */
function cycles(edges: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (node: string) => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const to of edges.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of edges.keys()) if (!index.has(node)) visit(node);
  return found;
}

/**
 * The two folders an import links for the cycle rule: the top-level folders when they differ, else
 * the sibling subfolders under the folders' common parent; none when one side is a file of that parent.
 */
function folderLink({ from, to }: Import): [string, string] | undefined {
  const a = dirname(from).split("/");
  const b = dirname(to).split("/");
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  if (common === a.length || common === b.length) return undefined;
  return [a.slice(0, common + 1).join("/"), b.slice(0, common + 1).join("/")];
}

function graph(links: [string, string][]): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const [from, to] of links) {
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from)!.add(to);
  }
  return edges;
}

describe("the layers of src/", () => {
  const imports = importsOf();

  test("the scan sees the imports (a broken pattern would pass every rule)", () => {
    expect(imports.length).toBeGreaterThan(300);
    expect(imports).toContainEqual({ from: "main.ts", to: "cli/program.ts" });
  });

  test("every top-level folder of src/ has a layer", () => {
    const folders = new Set(imports.flatMap(({ from, to }) => [from, to]).filter((file) => file.includes("/")).map(topFolder));
    expect([...folders].filter((folder) => !rankOf.has(folder))).toEqual([]);
  });

  test("no import points up a layer", () => {
    const upward = imports
      .filter(({ from, to }) => from !== ENTRY && rankOf.get(topFolder(to))! > rankOf.get(topFolder(from))!)
      .map(({ from, to }) => `${from} → ${to} (${LAYERS[rankOf.get(topFolder(from))!]!.name} may not use ${LAYERS[rankOf.get(topFolder(to))!]!.name})`);
    expect(upward).toEqual([]);
  });

  test("no files of src/ at its top level but the entry point", () => {
    expect(imports.flatMap(({ from, to }) => [from, to]).filter((file) => !file.includes("/") && file !== ENTRY && !file.startsWith("../"))).toEqual([]);
  });

  test("no folders import each other in a circle", () => {
    const linked = imports.flatMap((item) => {
      const link = folderLink(item);
      return link ? [{ item, link }] : [];
    });
    const explained = cycles(graph(linked.map(({ link }) => link))).map((cycle) => {
      const members = new Set(cycle);
      const through = linked.filter(({ link }) => members.has(link[0]) && members.has(link[1])).map(({ item }) => `${item.from} → ${item.to}`);
      return `${cycle.join(" ⇄ ")}: ${through.join(", ")}`;
    });
    expect(explained).toEqual([]);
  });

  test("no files import each other in a circle", () => {
    expect(cycles(graph(imports.map(({ from, to }) => [from, to])))).toEqual([]);
  });
});

/**
 * Where a concrete storage is chosen and opened: the composition root (app/daemon.ts opens the daemon's), and
 * the CLI's context (cli/context.ts opens the one commands use, and lends `migrate --status` the migrations
 * this build has and `backup` the copy of the SQLite file). These may import src/db/sqlite/, nothing else of
 * the driver; every other file gets a Storage or its repositories handed in.
 */
const OPENS_STORAGE = ["app/daemon.ts", "cli/context.ts"];

interface ModuleImport {
  from: string;
  /** A package (`bun:sqlite`, `drizzle-orm/…`) or a file of src/, relative to src/. */
  module: string;
}

/** Every import of every file of src/ outside src/db/, packages included. */
function modulesImportedOutsideDb(): ModuleImport[] {
  const found: ModuleImport[] = [];
  const specifier = /(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
  for (const file of new Glob("**/*.{ts,tsx}").scanSync(SRC)) {
    if (file.startsWith("db/")) continue;
    const text = readFileSync(join(SRC, file), "utf8");
    for (const match of text.matchAll(specifier)) {
      const imported = (match[1] ?? match[2])!;
      found.push({ from: file, module: imported.startsWith(".") ? relative(SRC, resolve(SRC, dirname(file), imported)) : imported });
    }
  }
  return found;
}

const isDriver = (module: string) => module === "bun:sqlite" || module === "drizzle-orm" || module.startsWith("drizzle-orm/");
const isSqliteStorage = (module: string) => module.startsWith("db/sqlite/");
const isSqliteInternal = (module: string) => module === "db/schema.ts" || module === "db/open.ts";

describe("storage", () => {
  const imports = modulesImportedOutsideDb();
  const offending = (item: ModuleImport) => isDriver(item.module) || isSqliteInternal(item.module) || (isSqliteStorage(item.module) && !OPENS_STORAGE.includes(item.from));

  test("the scan sees the imports of packages and of src/db/", () => {
    expect(imports).toContainEqual({ from: "app/daemon.ts", module: "db/sqlite/storage.ts" });
    expect(imports).toContainEqual({ from: "cli/commands/hosts.ts", module: "commander" });
    expect(imports).toContainEqual({ from: "inventory/plan.ts", module: "db/hosts.ts" });
  });

  test("the sandbox process's code uses nothing of storage: it holds no database handle, and asks the daemon", () => {
    expect(imports.filter((item) => item.from.startsWith("plugins/sandbox/") && (isDriver(item.module) || item.module.startsWith("db/"))).map(({ from, module }) => `${from} → ${module}`)).toEqual([]);
  });

  test("no SQL or driver outside src/db/: no bun:sqlite, drizzle-orm, schema or SQLite storage but where it is opened", () => {
    expect(imports.filter(offending).map(({ from, module }) => `${from} → ${module}`)).toEqual([]);
  });

  test("the composition root opens a concrete storage, and uses nothing else of the driver", () => {
    expect(imports.filter((item) => OPENS_STORAGE.includes(item.from) && (isDriver(item.module) || isSqliteInternal(item.module))).map(({ from, module }) => `${from} → ${module}`)).toEqual([]);
  });

  test("nothing outside src/db/ reaches for the SQLite connection a SQLite storage holds", () => {
    const reaching: string[] = [];
    for (const file of new Glob("**/*.{ts,tsx}").scanSync(SRC)) {
      if (!file.startsWith("db/") && /\.sqlite\b/.test(readFileSync(join(SRC, file), "utf8"))) reaching.push(file);
    }
    expect(reaching).toEqual([]);
  });
});
