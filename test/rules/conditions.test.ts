/**
 * Conditions: CMDBSyncer's match types on the hostname, a label or an inventory key, each negatable,
 * every comparison case-insensitive; a missing label never matches, except `ignore` negated.
 */
import { describe, expect, test } from "bun:test";
import type { ConditionConfig } from "../../src/config/rules.ts";
import { compileCondition, type CompiledCondition } from "../../src/rules/conditions.ts";
import type { HostData } from "../../src/rules/host.ts";
import { host } from "../helpers/rules.ts";

function condition(written: Partial<ConditionConfig> & { match: ConditionConfig["match"] }): CompiledCondition {
  const compiled = compileCondition({ negate: false, ...written });
  if ("message" in compiled) throw new Error(compiled.message);
  return compiled;
}

const matches = (written: Partial<ConditionConfig> & { match: ConditionConfig["match"] }, on: HostData) => {
  const compiled = condition(written);
  return compiled.test(compiled.seen(on));
};

const web = host("Web01.Berlin.example.com", { site: "Berlin", role: "web", tags: "prod, Linux ,dmz", monitored: "True" }, { cmdb__ram_gb: 16, cmdb__virtual: false, cmdb__rack: null });

describe("match types", () => {
  test("equal compares whole values, case-insensitively; numbers and booleans by their text", () => {
    expect(matches({ label: "site", match: "equal", value: "berlin" }, web)).toBe(true);
    expect(matches({ label: "site", match: "equal", value: "BERLIN" }, web)).toBe(true);
    expect(matches({ label: "site", match: "equal", value: "berl" }, web)).toBe(false);
    expect(matches({ inventory: "cmdb__ram_gb", match: "equal", value: 16 }, web)).toBe(true);
    expect(matches({ inventory: "cmdb__ram_gb", match: "equal", value: "16" }, web)).toBe(true);
    expect(matches({ inventory: "cmdb__virtual", match: "equal", value: false }, web)).toBe(true);
  });

  test("in: the value contains it; not_in: it does not", () => {
    expect(matches({ hostname: true, match: "in", value: "BERLIN" }, web)).toBe(true);
    expect(matches({ hostname: true, match: "in", value: "paris" }, web)).toBe(false);
    expect(matches({ hostname: true, match: "not_in", value: "paris" }, web)).toBe(true);
    expect(matches({ hostname: true, match: "not_in", value: "berlin" }, web)).toBe(false);
  });

  test("in_list: the value is one of a list, written as a list or comma-separated", () => {
    expect(matches({ label: "role", match: "in_list", value: ["db", "WEB"] }, web)).toBe(true);
    expect(matches({ label: "role", match: "in_list", value: "db, web ,proxy" }, web)).toBe(true);
    expect(matches({ label: "role", match: "in_list", value: "db,proxy" }, web)).toBe(false);
    // Whole items, not parts of them.
    expect(matches({ label: "role", match: "in_list", value: "webserver" }, web)).toBe(false);
  });

  test("string_in_list: the host's comma-separated value holds the item", () => {
    expect(matches({ label: "tags", match: "string_in_list", value: "linux" }, web)).toBe(true);
    expect(matches({ label: "tags", match: "string_in_list", value: "DMZ" }, web)).toBe(true);
    expect(matches({ label: "tags", match: "string_in_list", value: "lin" }, web)).toBe(false);
  });

  test("swith and ewith: starts and ends with", () => {
    expect(matches({ hostname: true, match: "swith", value: "web" }, web)).toBe(true);
    expect(matches({ hostname: true, match: "swith", value: "db" }, web)).toBe(false);
    expect(matches({ hostname: true, match: "ewith", value: ".EXAMPLE.com" }, web)).toBe(true);
    expect(matches({ hostname: true, match: "ewith", value: ".example.org" }, web)).toBe(false);
  });

  test("regex matches from the start of the value, case-insensitively, as CMDBSyncer's re.match", () => {
    expect(matches({ hostname: true, match: "regex", value: "web\\d+\\." }, web)).toBe(true);
    expect(matches({ hostname: true, match: "regex", value: "berlin" }, web)).toBe(false);
    expect(matches({ hostname: true, match: "regex", value: ".*berlin" }, web)).toBe(true);
    // An alternative at the top stays anchored: both branches must start the value.
    expect(matches({ hostname: true, match: "regex", value: "db|berlin" }, web)).toBe(false);
    expect(matches({ inventory: "cmdb__ram_gb", match: "regex", value: "1[0-9]$" }, web)).toBe(true);
  });

  test("bool reads true, false and none in any case; other values are no boolean and never match", () => {
    expect(matches({ label: "monitored", match: "bool", value: true }, web)).toBe(true);
    expect(matches({ label: "monitored", match: "bool", value: "false" }, web)).toBe(false);
    expect(matches({ inventory: "cmdb__virtual", match: "bool", value: false }, web)).toBe(true);
    expect(matches({ label: "site", match: "bool", value: false }, web)).toBe(false);
    expect(matches({ label: "site", match: "bool", value: true, negate: true }, web)).toBe(true);
  });

  test("ignore matches any value the host has", () => {
    expect(matches({ label: "site", match: "ignore" }, web)).toBe(true);
    expect(matches({ hostname: true, match: "ignore" }, web)).toBe(true);
  });
});

describe("negate and missing values", () => {
  test("negate turns every match type around", () => {
    expect(matches({ label: "site", match: "equal", value: "berlin", negate: true }, web)).toBe(false);
    expect(matches({ label: "site", match: "equal", value: "paris", negate: true }, web)).toBe(true);
    expect(matches({ hostname: true, match: "swith", value: "web", negate: true }, web)).toBe(false);
    expect(matches({ hostname: true, match: "regex", value: "db", negate: true }, web)).toBe(true);
    expect(matches({ label: "role", match: "in_list", value: "db,proxy", negate: true }, web)).toBe(true);
  });

  test("a label the host does not have matches no condition, negated or not", () => {
    expect(matches({ label: "env", match: "equal", value: "prod" }, web)).toBe(false);
    expect(matches({ label: "env", match: "equal", value: "prod", negate: true }, web)).toBe(false);
    expect(matches({ label: "env", match: "not_in", value: "prod" }, web)).toBe(false);
  });

  test("ignore negated asks that the label is missing; an inventory null counts as missing", () => {
    expect(matches({ label: "env", match: "ignore", negate: true }, web)).toBe(true);
    expect(matches({ label: "site", match: "ignore", negate: true }, web)).toBe(false);
    expect(matches({ inventory: "cmdb__rack", match: "ignore", negate: true }, web)).toBe(true);
    expect(matches({ inventory: "cmdb__rack", match: "ignore" }, web)).toBe(false);
  });

  test("a label named like an object's own property is read as a label, never from the prototype", () => {
    expect(matches({ label: "constructor", match: "ignore" }, web)).toBe(false);
    expect(matches({ label: "toString", match: "ignore", negate: true }, web)).toBe(true);
    expect(matches({ label: "constructor", match: "equal", value: "x" }, host("a", { constructor: "X" }))).toBe(true);
  });

  test("the condition says what it read, and reads as written", () => {
    const compiled = condition({ label: "site", match: "equal", value: "paris", negate: true });
    expect(compiled.text).toBe('label site not equal "paris"');
    expect(compiled.seen(web)).toBe("Berlin");
    expect(compiled.seen(host("x"))).toBeUndefined();
  });
});

describe("conditions that cannot work are refused with the key at fault", () => {
  const problem = (written: Partial<ConditionConfig> & { match: ConditionConfig["match"] }) => compileCondition({ negate: false, ...written });
  test("a condition on nothing, or on two things", () => {
    expect(problem({ match: "equal", value: "x" })).toEqual({ key: "match", message: 'a condition on nothing: give hostname = true, label = "<name>" or inventory = "<key>"' });
    expect(problem({ hostname: true, label: "site", match: "equal", value: "x" })).toMatchObject({ message: expect.stringContaining("more than one") });
  });
  test("a value missing, or a list where one value is compared", () => {
    expect(problem({ label: "site", match: "equal" })).toEqual({ key: "match", message: 'match "equal" needs a value' });
    expect(problem({ label: "site", match: "swith", value: ["a"] })).toMatchObject({ key: "value" });
    expect(problem({ label: "site", match: "bool", value: "maybe" })).toEqual({ key: "value", message: 'match "bool" compares with true or false' });
  });
  test("a regex that does not compile, or is longer than 1000 characters", () => {
    expect(problem({ hostname: true, match: "regex", value: "web(" })).toMatchObject({ key: "value", message: expect.stringMatching(/^not a valid regular expression: /) });
    expect(problem({ hostname: true, match: "regex", value: "a".repeat(1001) })).toEqual({ key: "value", message: "a pattern of 1001 characters; at most 1000" });
  });
});
