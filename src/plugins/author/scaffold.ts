import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import pkg from "../../../package.json" with { type: "json" };
import { SyncerError } from "../../core/errors.ts";
import { ASC_ENV, ASC_FLAGS } from "../build-flags.ts";
import { readKitFiles } from "./kit-files.ts" with { type: "macro" };
import { API_VERSION, IDENT_PATTERN } from "../manifest/schema.ts";

const KIT: Record<string, string> = readKitFiles();

function manifest(ident: string): string {
  return JSON.stringify(
    {
      api_version: API_VERSION,
      ident,
      name: ident,
      version: "0.1.0",
      author: "",
      description: `Imports hosts from a JSON REST API (a starting point: edit src/index.ts)`,
      account_presets: { address: "https://api.example.com" },
      account_custom_field_presets: { path: "/api/hosts" },
      options: {
        path: { type: "string", description: "Path of the host list, appended to the account's address", default: "/api/hosts" },
        site_label: { type: "string", description: "Label that carries each host's site", default: "site" },
      },
      permissions: { http: { reason: "reads the host list from the account's address" } },
      commands: { import_hosts: { kind: "import", description: "Imports every host the API lists, with its site and role as labels" } },
    },
    null,
    2,
  );
}

const SOURCE = `// A Syncer plugin (ABI v1): an importer. The SDK in ../sdk reads the request, keeps the paging and
// writes the answer; this file reads one page of the upstream and maps its records to hosts.
// The guide: Syncer's docs/plugins.md.
import { ErrorKind, HostRecord, ImportPage, Importer, JsonApi, log, runImport } from "../sdk/index";

class ApiHosts extends Importer {
  fetch(page: ImportPage): bool {
    const account = page.account;
    const api = new JsonApi(account.address).header("Authorization", "Bearer " + account.password);
    const answer = api.get(account.optionString("path", "/api/hosts"));
    // Unreachable, refused (401/403: auth), another HTTP error, a body that is not JSON: each has its kind.
    if (!answer.ok) return page.fail(answer.errorKind, answer.errorMessage);

    const siteLabel = account.optionString("site_label", "site");
    const items = answer.document!.root().elements();
    for (let i = 0; i < items.length; i++) {
      const name = items[i].stringAt("name");
      if (name === null) return page.fail(ErrorKind.Parser, "item " + i.toString() + " of the API's list has no name");
      const record = new HostRecord();
      record.hostname = name;
      const site = items[i].stringAt("site");
      if (site !== null) record.labels.set(siteLabel, site);
      const role = items[i].stringAt("role");
      if (role !== null) record.labels.set("role", role);
      page.add(record);
    }
    log.info("listed " + items.length.toString() + " hosts");
    // page.next stays null: this API lists every host in one answer.
    return true;
  }
}

export function import_hosts(): i32 {
  return runImport(new ApiHosts());
}
`;

function testSource(ident: string): string {
  return `import { afterAll, expect, test } from "bun:test";
import { callPlugin, fakeUpstream } from "./harness.ts";

const PLUGIN = \`\${import.meta.dir}/..\`;
const upstream = fakeUpstream((request) =>
  request.headers.get("authorization") === "Bearer t0ken"
    ? Response.json([{ name: "web01.example.com", site: "fra", role: "web" }, { name: "db01.example.com" }])
    : new Response("unauthorised", { status: 401 }),
);
afterAll(() => upstream.stop());

// callPlugin checks an import's answer as a real run checks each page: {"hosts": [...], "next": cursor or null}.
test("import_hosts lists the API's hosts with their site and role as labels, in one page", async () => {
  const result = await callPlugin(PLUGIN, ${JSON.stringify(ident)}, "import_hosts", { account: { address: upstream.url, password: "t0ken" } });
  expect(result).toMatchObject({
    ok: true,
    value: { hosts: [{ hostname: "web01.example.com", labels: { site: "fra", role: "web" } }, { hostname: "db01.example.com", labels: {} }], next: null },
  });
  expect(upstream.requests.at(-1)?.path).toBe("/api/hosts");
});

test("a token the API refuses is an auth error", async () => {
  const result = await callPlugin(PLUGIN, ${JSON.stringify(ident)}, "import_hosts", { account: { address: upstream.url, password: "wrong" } });
  expect(result).toMatchObject({ ok: false, error: { kind: "auth" } });
});
`;
}

function packageJson(ident: string): string {
  const env = Object.entries(ASC_ENV).map(([key, value]) => `${key}=${value}`).join(" ");
  const versions = pkg.devDependencies;
  return JSON.stringify(
    {
      name: `syncer-plugin-${ident.replace(/_/g, "-")}`,
      version: "0.1.0",
      private: true,
      type: "module",
      scripts: {
        build: `${env} asc src/index.ts --outFile build/plugin.wasm ${ASC_FLAGS.join(" ")}`,
        test: "npm run build && bun test",
      },
      devDependencies: { assemblyscript: versions.assemblyscript, "json-as": versions["json-as"], bun: pkg.dependencies.bun },
    },
    null,
    2,
  );
}

function readme(ident: string): string {
  return `# ${ident}: a Syncer plugin

\`\`\`sh
npm install
npm test                  # builds build/plugin.wasm and runs test/ against the real syncer binary
\`\`\`

The test harness runs \`syncer\` from $SYNCER_BIN or your PATH. To use the plugin, add this folder's parent
to \`[plugins] directories\` in sync.config.toml, then \`syncer plugins info ${ident}\`.

- \`plugin.json\`: what the plugin is, its options, permissions (each with a reason) and commands.
- \`src/index.ts\`: the commands; \`sdk/\`: the Syncer SDK for AssemblyScript (ABI v${API_VERSION}).
- \`test/\`: tests with a fake upstream (\`fakeUpstream\`) and \`callPlugin\`.
`;
}

/** Writes a new plugin folder `<parent>/<ident>` that builds and whose test passes. Returns its path. */
export function scaffoldPlugin(ident: string, parent: string): string {
  if (!IDENT_PATTERN.test(ident)) throw new SyncerError("usage", `'${ident}' is not a plugin ident: use 2-32 lower-case letters, digits and '_', starting with a letter`);
  const dir = join(parent, ident);
  if (existsSync(dir)) throw new SyncerError("usage", `${dir} already exists; choose another ident or --dir`);
  const files: Record<string, string> = {
    "plugin.json": manifest(ident) + "\n",
    "src/index.ts": SOURCE,
    "test/plugin.test.ts": testSource(ident),
    "package.json": packageJson(ident) + "\n",
    "README.md": readme(ident),
    ".gitignore": "node_modules/\nbuild/\n",
    ...KIT,
  };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}
