import type { Child } from "hono/jsx";

/** Small pieces the pages share. Every value is rendered as text by JSX: escaped, whatever it holds. */

/** A status as a coloured word; `kind` picks the colour (ok, failed, running, warn, info). */
export function Badge({ kind, children }: { kind: string; children: Child }) {
  return <span class={`badge ${kind}`}>{children}</span>;
}

/** A run's or job run's status. */
export const Status = ({ status }: { status: string }) => (
  <Badge kind={status === "ok" ? "ok" : status === "running" ? "running" : status === "interrupted" || status === "skipped" ? "warn" : "failed"}>{status}</Badge>
);

/** A moment as a <time> with the ISO text; readable, and exact in its title. */
export function Time({ at }: { at: Date | number | null | undefined }) {
  if (at === null || at === undefined) return <span class="muted">—</span>;
  const date = typeof at === "number" ? new Date(at) : at;
  const iso = date.toISOString();
  return (
    <time datetime={iso} title={iso}>
      {iso.slice(0, 19).replace("T", " ")}
    </time>
  );
}

export const Duration = ({ ms }: { ms: number | null | undefined }) =>
  ms === null || ms === undefined ? <span class="muted">—</span> : <span>{ms < 1000 ? `${Math.round(ms)} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`}</span>;

/** A value of unknown shape as text: strings as they are, the rest as JSON. */
export const valueText = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value) ?? "");

/** Key/value rows as a description list. */
export function KeyValues({ entries }: { entries: [string, Child][] }) {
  return (
    <dl class="kv">
      {entries.map(([key, value]) => (
        <>
          <dt>{key}</dt>
          <dd>{value}</dd>
        </>
      ))}
    </dl>
  );
}

/** A table with a caption for screen readers, wrapped so that wide tables scroll on their own. */
export function Table({ caption, head, children, numeric = [] }: { caption: string; head: string[]; children: Child; numeric?: number[] }) {
  return (
    <div class="table-wrap">
      <table>
        <caption class="skip">{caption}</caption>
        <thead>
          <tr>
            {head.map((name, index) => (
              <th scope="col" class={numeric.includes(index) ? "num" : undefined}>
                {name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** A link to a host's page. */
export const HostLink = ({ hostname }: { hostname: string }) => <a href={`/hosts/${encodeURIComponent(hostname)}`}>{hostname}</a>;

export const Notice = ({ kind, children }: { kind: "ok" | "error" | "warn" | "info"; children: Child }) => (
  <div class={`notice ${kind}`} role={kind === "error" ? "alert" : "status"}>
    {children}
  </div>
);
