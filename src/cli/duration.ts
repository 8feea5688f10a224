import { SyncerError } from "../core/errors.ts";

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** A duration flag such as `30d`, `12h`, `90m`, `45s` or `2w`, in ms; a usage error naming the flag otherwise. */
export function durationFlag(flag: string, text: string): number {
  const match = /^(\d{1,9})(s|m|h|d|w)$/.exec(text.trim());
  if (!match) throw new SyncerError("usage", `${flag} ${JSON.stringify(text)}: give a duration such as 30d, 12h, 90m, 45s or 2w`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}
