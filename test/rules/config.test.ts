/**
 * Bad rules are config errors at file:line:column: an unknown match type, a regex that does not compile,
 * a template with a syntax error, a condition on nothing, an unknown target, a key the target's plugin
 * does not declare (with a did-you-mean); in the config file and in the files it includes.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/binary.ts";
import { CONFIG_FILE, problemsOf, ruleBook } from "../helpers/rules.ts";

const F = CONFIG_FILE;

describe("problems in [[rules]] name where they are", () => {
  test("an unknown match type lists the match types", () => {
    expect(problemsOf(`[[rules]]\nname = "r"\nconditions = [{ label = "site", match = "equals", value = "x" }]\n`)).toEqual([
      `${F}:3:41: rules[0].conditions[0].match: unknown match type 'equals'; did you mean 'equal'? (match types: equal, in, not_in, in_list, string_in_list, swith, ewith, regex, bool, ignore)`,
    ]);
  });

  test("an unknown key in a rule or a condition, with a did-you-mean", () => {
    expect(problemsOf(`[[rules]]\nname = "r"\nlast_matsh = true\nmatch = "anyway"\n`)).toEqual([`${F}:3:1: rules[0].last_matsh: unknown key 'last_matsh' in [rules[0]]; did you mean 'last_match'? (allowed: 'name', 'target', 'match', 'last_match', 'conditions', 'set')`]);
    expect(problemsOf(`[[rules]]\nname = "r"\nconditions = [{ lable = "site", match = "ignore" }]\n`)[0]).toContain("unknown key 'lable' in [rules[0].conditions[0]]; did you mean 'label'?");
  });

  test("a regex that does not compile points at its value", () => {
    expect(problemsOf(`[[rules]]\nname = "r"\nconditions = [\n  { hostname = true, match = "regex", value = "web(" },\n]\n`)).toEqual([
      expect.stringMatching(new RegExp(`^${F}:4:47: rules\\[0\\]\\.conditions\\[0\\]\\.value: not a valid regular expression: `)),
    ]);
  });

  test("a template with a syntax error, or an unknown filter", () => {
    expect(problemsOf(`[[rules]]\nname = "r"\nmatch = "anyway"\n[rules.set]\nfolder = "/{{ labels.site "\n`)).toEqual([`${F}:5:10: rules[0].set.folder: template error: output "{{ labels.site " not closed (template line 1, column 2)`]);
    expect(problemsOf(`[[rules]]\nname = "r"\nmatch = "anyway"\nset = { a = "{{ x | upcose }}" }\n`)).toEqual([`${F}:4:13: rules[0].set.a: template error: undefined filter: upcose (template line 1, column 1)`]);
  });

  test("a template may not read files", () => {
    expect(problemsOf(`[[rules]]\nname = "r"\nmatch = "anyway"\nset = { a = "{% include 'x' %}" }\n`)[0]).toContain("{% include %} is not available: a rule's template cannot read files");
    expect(problemsOf(`[[rules]]\nname = "r"\nmatch = "anyway"\nset = { a = "{% render '/etc/passwd' %}" }\n`)[0]).toContain("{% render %} is not available");
  });

  test("a condition on nothing; a rule without conditions that is not anyway", () => {
    expect(problemsOf(`[[rules]]\nname = "r"\nconditions = [{ match = "equal", value = "x" }]\n`)).toEqual([
      `${F}:3:25: rules[0].conditions[0].match: a condition on nothing: give hostname = true, label = "<name>" or inventory = "<key>"`,
    ]);
    expect(problemsOf(`[[rules]]\nname = "r"\nset = { a = "b" }\n`)).toEqual([`${F}:1:1: rules[0].conditions: rule "r" has no conditions: add some, or write match = "anyway" for a rule that always matches`]);
  });

  test("an unknown target, with a did-you-mean among plugins and accounts", () => {
    expect(problemsOf(`[accounts.office]\nplugin = "csv"\n[[rules]]\nname = "r"\ntarget = "chekmk"\nmatch = "anyway"\n`)).toEqual([
      `${F}:5:10: rules[0].target: no plugin or account 'chekmk'; did you mean 'checkmk'? (targets: "*", checkmk, ansible, csv, office)`,
    ]);
    expect(problemsOf(`[targets.ofice]\nfilter = []\n[accounts.office]\nplugin = "csv"\n`)).toEqual([`${F}:1:1: targets.ofice: no plugin or account 'ofice'; did you mean 'office'? (targets: "*", checkmk, ansible, csv, office)`]);
  });

  test("a key the target's plugin does not declare is a typo, with a did-you-mean; so is the wrong shape", () => {
    expect(problemsOf(`[[rules]]\nname = "r"\ntarget = "checkmk"\nmatch = "anyway"\nset = { foldr = "/x" }\n`)).toEqual([
      `${F}:5:9: rules[0].set.foldr: plugin checkmk has no outcome 'foldr'; did you mean 'folder'? (outcomes: ignore_host, folder, site, attributes.*, labels.*)`,
    ]);
    expect(problemsOf(`[accounts.cmk]\nplugin = "checkmk"\n[[rules]]\nname = "r"\ntarget = "cmk"\nmatch = "anyway"\nset = { attributes = "x", folder.a = "b" }\n`)).toEqual([
      `${F}:7:9: rules[0].set.attributes: account cmk (plugin checkmk)'s outcome 'attributes' takes a table (write attributes.<name> = …)`,
      `${F}:7:27: rules[0].set.folder: account cmk (plugin checkmk)'s outcome 'folder' takes one value, not a table`,
    ]);
    expect(problemsOf(`[[rules]]\nname = "r"\nmatch = "anyway"\nset = { ignore_host = "yes" }\n`)).toEqual([`${F}:4:23: rules[0].set.ignore_host: ignore_host is true or false`]);
  });

  test("rules for every target, and targets whose plugin declares no outcomes or '*', may set any key", () => {
    expect(() => ruleBook(`[[rules]]\nname = "r"\nmatch = "anyway"\nset = { foldr = "x" }\n[[rules]]\nname = "s"\ntarget = "ansible"\nmatch = "anyway"\nset = { anything = "x" }\n[[rules]]\nname = "t"\ntarget = "csv"\nmatch = "anyway"\nset = { other = "x" }\n`)).not.toThrow();
  });

  test("a rewrite that changes nothing, or sets the value twice; a broken rewrite template", () => {
    expect(problemsOf(`[targets.csv]\nrewrite = [{ attribute = "a" }]\n`)).toEqual([`${F}:2:26: targets.csv.rewrite[0].attribute: a rewrite changes something: give name, value or split`]);
    expect(problemsOf(`[targets.csv]\nrewrite = [{ attribute = "a", value = "x", split = { separator = ".", index = 0 } }]\n`)[0]).toContain("targets.csv.rewrite[0].split: a rewrite sets the value by a template (value) or by split, not both");
    expect(problemsOf(`[targets.csv]\nrewrite = [{ attribute = "a", name = "{{ name | nope }}" }]\n`)[0]).toContain("targets.csv.rewrite[0].name: template error: undefined filter: nope");
  });

  test("every problem is reported at once", () => {
    expect(problemsOf(`[[rules]]\nname = "a"\ntarget = "x"\nmatch = "anyway"\n[[rules]]\nname = "b"\nconditions = [{ hostname = true, match = "regex", value = "(" }]\n`)).toHaveLength(2);
  });
});

describe("[include] rules: files of rules read after the config's own", () => {
  function installation(files: Record<string, string>): string {
    const dir = tempDir("syncer-rules-include-");
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, ".."), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    return join(dir, "sync.config.toml");
  }
  const read = (path: string) => Bun.file(path).text();

  test("the config's rules first, then each pattern's files in name order", async () => {
    const path = installation({
      "sync.config.toml": `[include]\nrules = ["rules.d/*.toml", "extra.toml"]\n[[rules]]\nname = "own"\nmatch = "anyway"\n`,
      "rules.d/20-second.toml": `[[rules]]\nname = "second"\nmatch = "anyway"\n`,
      "rules.d/10-first.toml": `[[rules]]\nname = "first"\nmatch = "anyway"\n[[rules]]\nname = "first again"\nmatch = "anyway"\n`,
      "rules.d/notes.txt": "not a rules file",
      "extra.toml": `[[rules]]\nname = "extra"\nmatch = "anyway"\n`,
    });
    const book = ruleBook(await read(path), path);
    expect(book.rules.map((rule) => rule.name)).toEqual(["own", "first", "first again", "second", "extra"]);
    expect(book.rules[2]!.file).toBe(join(path, "..", "rules.d", "10-first.toml"));
    expect(book.rules[2]!.position).toEqual({ line: 4, column: 1 });
  });

  test("a problem in an included file names that file's line and column", async () => {
    const path = installation({
      "sync.config.toml": `[include]\nrules = ["rules.d/*.toml"]\n`,
      "rules.d/web.toml": `# web servers\n[[rules]]\nname = "web"\ntarget = "checkmk"\nmatch = "anyway"\nset = { foldr = "/web" }\n`,
      "rules.d/shape.toml": `[[rules]]\nname = "shape"\nconditions = [{ label = "x", match = "ignore", negate = "yes" }]\n`,
    });
    const rulesDir = join(path, "..", "rules.d");
    expect(problemsOf(await read(path), path)).toEqual([`${rulesDir}/shape.toml:3:57: rules[0].conditions[0].negate: expected a boolean, found "yes"`]);
    writeFileSync(join(rulesDir, "shape.toml"), "");
    expect(problemsOf(await read(path), path)).toEqual([`${rulesDir}/web.toml:6:9: rules[0].set.foldr: plugin checkmk has no outcome 'foldr'; did you mean 'folder'? (outcomes: ignore_host, folder, site, attributes.*, labels.*)`]);
  });

  test("an included file holds rules only; malformed TOML and a missing named file are errors there", async () => {
    const path = installation({
      "sync.config.toml": `[include]\nrules = ["a.toml", "b.toml", "missing.toml"]\n`,
      "a.toml": `[server]\nlisten = "x"\n`,
      "b.toml": `[[rules]\nname = "x"\n`,
    });
    const dir = join(path, "..");
    expect(problemsOf(await read(path), path)).toEqual([
      `${dir}/a.toml:1:1: server: unknown key 'server' (allowed: 'rules')`,
      expect.stringMatching(new RegExp(`^${dir}/b.toml:1:\\d+: malformed TOML: `)),
      `${dir}/missing.toml: cannot read the included rules file: no such file or directory (ENOENT)`,
    ]);
  });

  test("a pattern that matches no file is no error: rules.d may be empty", async () => {
    const path = installation({ "sync.config.toml": `[include]\nrules = ["rules.d/*.toml"]\n` });
    expect(ruleBook(await read(path), path).rules).toEqual([]);
  });
});
