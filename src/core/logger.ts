import { redact } from "./redact.ts";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = "text" | "json";
export type LogFields = Record<string, string | number | boolean | null | undefined>;

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
/** syslog priorities, which journald reads from a `<N>` line prefix (SyslogLevelPrefix=). */
const syslogPriority: Record<LogLevel, number> = { debug: 7, info: 6, warn: 4, error: 3 };

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  enabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Where lines go; stderr by default so stdout stays for data. */
  write?: (line: string) => void;
  /** Under journald (JOURNAL_STREAM set) text lines carry a priority prefix and no timestamp of their own. */
  journald?: boolean;
}

function formatValue(value: string | number | boolean | null | undefined): string {
  const text = String(value);
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

/** A small structured logger: one line per event, text (logfmt-like) or JSON lines, secrets redacted. */
export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line + "\n"));
  const journald = options.journald ?? Boolean(process.env.JOURNAL_STREAM);
  const threshold = rank[options.level];

  function emit(level: LogLevel, message: string, fields: LogFields = {}): void {
    if (rank[level] < threshold) return;
    if (options.format === "json") {
      const record: Record<string, unknown> = { time: new Date().toISOString(), level, msg: message };
      for (const [key, value] of Object.entries(fields)) if (value !== undefined) record[key] = value;
      write(redact(JSON.stringify(record)));
      return;
    }
    const parts = Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${formatValue(value)}`);
    const head = journald ? `<${syslogPriority[level]}>` : `${new Date().toISOString()} `;
    write(redact(`${head}${level.toUpperCase().padEnd(5)} ${message}${parts.length ? " " + parts.join(" ") : ""}`));
  }

  return {
    debug: (message, fields) => emit("debug", message, fields),
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
    enabled: (level) => rank[level] >= threshold,
  };
}
