import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import pkg from "../../../package.json" with { type: "json" };
import { SyncerError } from "../../core/errors.ts";
import { ASC_ENV, ASC_FLAGS } from "../build-flags.ts";
import { readKitFiles, readTemplates } from "./kit-files.ts" with { type: "macro" };
import { IDENT_PATTERN } from "../manifest/schema.ts";

const KIT: Record<string, string> = readKitFiles();
/** Each kind's own files (src/plugins/author/templates/<kind>/), `__IDENT__` standing for the plugin's ident. */
const TEMPLATES: Record<string, Record<string, string>> = readTemplates();

/** The same for every kind: each recorded case in test/fixtures/ is one test. */
const TEST_SOURCE = `// Each recorded case in test/fixtures/ runs through \`syncer plugins test\`, with the checks of a real
// run (see harness.ts). Add a case: copy a fixture, change it, or write one from a real upstream with
// \`syncer plugins test . --update --record-from https://…\`.
import { testFixtures } from "./harness.ts";

testFixtures(\`\${import.meta.dir}/..\`);
`;

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

/** Writes a new plugin folder `<parent>/<ident>` of `kind` that builds and whose tests pass. Returns its path. */
export function scaffoldPlugin(ident: string, parent: string, kind: string = "import"): string {
  if (!IDENT_PATTERN.test(ident)) throw new SyncerError("usage", `'${ident}' is not a plugin ident: use 2-32 lower-case letters, digits and '_', starting with a letter`);
  const template = TEMPLATES[kind];
  if (!template) throw new SyncerError("usage", `no plugin kind '${kind}': choose ${Object.keys(TEMPLATES).join(", ")}`);
  const dir = join(parent, ident);
  if (existsSync(dir)) throw new SyncerError("usage", `${dir} already exists; choose another ident or --dir`);
  const files: Record<string, string> = {
    ...Object.fromEntries(Object.entries(template).map(([path, text]) => [path, text.replaceAll("__IDENT__", ident)])),
    "test/plugin.test.ts": TEST_SOURCE,
    "package.json": packageJson(ident) + "\n",
    ".gitignore": "node_modules/\nbuild/\n",
    ...KIT,
  };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}
