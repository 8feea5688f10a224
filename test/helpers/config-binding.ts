/**
 * Binds config texts to a plugins directory the way `syncer` does (parseConfig + bindSetup), for tests
 * of checks that need the plugins: each config is `header` followed by the test's body.
 */
import { expect } from "bun:test";
import { parseConfig } from "../../src/config/load.ts";
import { SyncerError } from "../../src/core/errors.ts";
import { bindSetup, type Setup } from "../../src/plugins/setup.ts";
import type { Problem } from "../../src/core/problems.ts";

export function configBinding(header: string, configPath: string) {
  const bind = (body: string, env: Record<string, string> = {}): Setup => bindSetup(parseConfig(header + body, configPath, env), env);

  /** The problems of a config that must be refused. */
  const problemsOf = (body: string, env: Record<string, string> = {}): Problem[] => {
    try {
      bind(body, env);
    } catch (error) {
      if (!(error instanceof SyncerError)) throw error;
      expect(error.kind).toBe("config");
      return (error.details as { problems: Problem[] }).problems;
    }
    throw new Error("expected the config to be refused");
  };

  /** The line (1-based, counting the header) on which `needle` is written in `body`. */
  const lineOf = (body: string, needle: string): number => {
    const text = header + body;
    const index = text.indexOf(needle);
    if (index < 0) throw new Error(`${needle} is not in the config`);
    return text.slice(0, index).split("\n").length;
  };

  return { bind, problemsOf, lineOf };
}
