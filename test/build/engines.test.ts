import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..", "..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { engines?: { node?: string } };
const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { engines?: { node?: string } | string[] }> };

/** Node.js versions to try ranges on: every minor of every major up to 40, at patch 0 and a late patch. */
const VERSIONS = Array.from({ length: 41 }, (_, major) => Array.from({ length: 41 }, (_, minor) => [`${major}.${minor}.0`, `${major}.${minor}.99`])).flat(2);

describe("the Node.js version `npm ci` needs is declared once and holds for every locked package", () => {
  const ours = pkg.engines?.node;

  test("package.json declares engines.node, and the lock file's root entry carries the same", () => {
    expect(ours).toBeString();
    expect((lock.packages[""]?.engines as { node?: string } | undefined)?.node).toBe(ours!);
  });

  test("every version our range admits satisfies each locked package's engines.node (npm warns EBADENGINE otherwise)", () => {
    const admitted = VERSIONS.filter((version) => Bun.semver.satisfies(version, ours!));
    expect(admitted.length).toBeGreaterThan(0);
    const unmet: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      const theirs = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      if (!path || !theirs) continue;
      const first = admitted.find((version) => !Bun.semver.satisfies(version, theirs));
      if (first) unmet.push(`${path} needs node ${theirs}; ${first} is admitted`);
    }
    expect(unmet).toEqual([]);
  });

  test("the README states the same requirement", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const [, minor] = /\^(\d+\.\d+)\.0 \|\| >=(\d+)/.exec(ours!) ?? [];
    expect(minor).toBeDefined();
    expect(readme).toContain(`\`npm ci\` needs Node.js ${minor} or later`);
    expect(readme).toContain("`engines` in package.json");
  });
});
