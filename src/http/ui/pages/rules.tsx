import { Hono } from "hono";
import { asSyncerError } from "../../../core/errors.ts";
import type { CompiledRule, CompiledSetEntry } from "../../../rules/rule.ts";
import { placeOf } from "../../../rules/rule.ts";
import { RuleMatchCounts, type RuleCount } from "../../../runs/rules-report.ts";
import { Badge, Notice, Table, valueText } from "../components.tsx";
import type { UiContext } from "../context.tsx";
import { Page } from "../layout.tsx";
import type { UiEnv } from "../session.ts";

/** What a rule sets, as written: `key = value`, a table's entries as `key.name = value`. */
const setText = (entry: CompiledSetEntry): string =>
  entry.table ? entry.entries.map(([name, value]) => `${entry.key}.${name} = ${valueText(value.written)}`).join("; ") : `${entry.key} = ${valueText(entry.value.written)}`;

const conditionsText = (rule: CompiledRule): string =>
  rule.match === "anyway" ? "always" : rule.conditions.map((condition) => condition.text).join(rule.match === "any" ? " or " : " and ");

/**
 * The config's rules in file order, each with what it asks and sets and how many hosts it matches now
 * (`syncer rules test` on the config's own rules). Counted once per rules and inventory version.
 */
export function ruleRoutes({ services }: UiContext): Hono<UiEnv> {
  const app = new Hono<UiEnv>();
  const counted = new RuleMatchCounts(services.database);
  app.get("/rules", async (c) => {
    const session = c.get("session")!;
    const setup = services.setup();
    const rules = setup.rules.rules;
    /** In the rules' order: countRuleMatches answers one count per rule of the book, in its order. */
    let counts: RuleCount[] | undefined;
    let hosts = 0;
    let failure: string | undefined;
    if (rules.length > 0) {
      try {
        const result = await counted.of(setup, services.runtime());
        hosts = result.hosts;
        counts = result.rules;
      } catch (error) {
        failure = asSyncerError(error).message;
      }
    }
    return c.html(
      <Page title="Rules" section="rules" session={session}>
        <h1>Rules</h1>
        <p class="lead">
          As written in {setup.config.source.path} and its included files, in the order they apply
          {counts ? `; matches counted over ${hosts.toLocaleString("en")} active hosts` : ""}.
        </p>
        {failure ? <Notice kind="error">Counting the matches failed: {failure}</Notice> : null}
        {rules.length === 0 ? (
          <p class="muted">No rules: [[rules]] in the config adds them.</p>
        ) : (
          <Table caption="Rules in order" head={["rule", "written at", "target", "conditions", "sets", "hosts matched", "failed"]} numeric={[5, 6]}>
            {rules.map((rule, index) => {
              const count = counts?.[index];
              return (
                <tr>
                  <td>
                    {rule.name}
                    {rule.lastMatch ? <span class="muted"> (last_match)</span> : null}
                  </td>
                  <td class="mono">{placeOf(rule)}</td>
                  <td>{rule.target === "*" ? <span class="muted">every target</span> : rule.target}</td>
                  <td class="mono">{conditionsText(rule)}</td>
                  <td class="mono">{rule.set.map(setText).join("; ")}</td>
                  <td class="num">{count ? count.matched.toLocaleString("en") : "—"}</td>
                  <td class="num">{count && count.failed > 0 ? <Badge kind="failed">{count.failed.toLocaleString("en")}</Badge> : count ? "0" : "—"}</td>
                </tr>
              );
            })}
          </Table>
        )}
      </Page>,
    );
  });
  return app;
}
