import type { Explanation } from "../../rules/evaluate.ts";
import { Badge, KeyValues, Notice, Table, valueText } from "./components.tsx";

/**
 * What the rules make of one host for one target, as the host page shows it (`syncer rules debug` as a
 * page): the result the target receives, then every rule in order with each condition and the value it saw.
 */
export function TargetExplanation({ explanation }: { explanation: Explanation }) {
  const { target, rules, result, error } = explanation;
  const outcomes = Object.entries(result?.outcomes ?? {});
  return (
    <section class="panel">
      <h3>
        {target.name}
        {target.name !== target.plugin ? <span class="muted"> (plugin {target.plugin})</span> : null}
      </h3>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {result ? (
        result.ignored ? (
          <p>
            <Badge kind="warn">ignored</Badge> a rule tells this target to leave the host out.
          </p>
        ) : (
          <KeyValues
            entries={[
              ["receives", <Badge kind="ok">exported</Badge>],
              ["outcomes", outcomes.length === 0 ? <span class="muted">none</span> : <span class="mono">{outcomes.map(([key, value]) => `${key} = ${valueText(value)}`).join("; ")}</span>],
              ["labels", <span class="mono">{Object.entries(result.labels).map(([key, value]) => `${key}=${value}`).join(", ") || "—"}</span>],
            ]}
          />
        )
      ) : null}
      {rules.length === 0 ? (
        <p class="muted">No rule applies to this target.</p>
      ) : (
        <Table caption={`Rules for ${target.name}, in order`} head={["rule", "written at", "outcome", "conditions (value seen)", "sets"]}>
          {rules.map((rule) => (
            <tr>
              <td>
                {rule.name}
                {rule.last_match ? <span class="muted"> (last_match)</span> : null}
              </td>
              <td class="mono">{rule.at}</td>
              <td>{rule.error ? <Badge kind="failed">failed</Badge> : !rule.evaluated ? <Badge kind="neutral">not evaluated</Badge> : rule.matched ? <Badge kind="ok">matched</Badge> : <Badge kind="neutral">no match</Badge>}</td>
              <td>
                {rule.conditions.length === 0 ? (
                  <span class="muted">{rule.match === "anyway" ? "always" : "—"}</span>
                ) : (
                  <ul class="plain">
                    {rule.conditions.map((condition) => (
                      <li>
                        {condition.matched ? "✓" : "✗"} <span class="mono">{condition.condition}</span> <span class="muted">({condition.seen === null ? "not set" : valueText(condition.seen)})</span>
                      </li>
                    ))}
                  </ul>
                )}
              </td>
              <td class="mono">{rule.set ? Object.entries(rule.set).map(([key, value]) => `${key} = ${valueText(value)}`).join("; ") : rule.error ?? ""}</td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}
