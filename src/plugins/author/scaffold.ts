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

const SOURCE = `// A Syncer plugin (ABI v1). Each command is an exported function: read the request, do the work,
// write the response or fail with a kind. See the SDK in ../sdk and the guide in Syncer's docs/plugins.md.
import { request, output, fail, log, http, JSON, ErrorKind } from "../sdk/index";

/** One host as this plugin reports it to Syncer. */
@json
class HostRecord {
  hostname: string = "";
  labels: Map<string, string> = new Map<string, string>();
}

/** One page of hosts. Syncer calls again with input.page = next until next is null; this API has one page. */
@json
class ImportPage {
  hosts: HostRecord[] = [];
  next: string | null = null;
}

/** One host as the API lists it. */
@json
class ApiHost {
  name: string = "";
  @optional site: string = "";
  @optional role: string = "";
}

export function import_hosts(): i32 {
  const account = request().account;
  if (account === null) return fail(ErrorKind.Options, "import_hosts needs an account");

  const headers = new Map<string, string>();
  headers.set("Authorization", "Bearer " + account.password);
  const response = http.get(account.address + account.optionString("path", "/api/hosts"), headers);
  const problem = response.error;
  if (problem !== null) return fail(problem.kind, problem.message);
  if (response.status == 401 || response.status == 403) return fail(ErrorKind.Auth, "the API refused the token (HTTP " + response.status.toString() + ")");
  if (response.status != 200) return fail(ErrorKind.Connection, "the API answered HTTP " + response.status.toString());

  const siteLabel = account.optionString("site_label", "site");
  const result = new ImportPage();
  const listed = JSON.parse<ApiHost[]>(response.body);
  for (let i = 0; i < listed.length; i++) {
    const item = listed[i];
    const record = new HostRecord();
    record.hostname = item.name;
    if (item.site.length > 0) record.labels.set(siteLabel, item.site);
    if (item.role.length > 0) record.labels.set("role", item.role);
    result.hosts.push(record);
  }
  log.info("listed " + result.hosts.length.toString() + " hosts");
  output<ImportPage>(result);
  return 0;
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
