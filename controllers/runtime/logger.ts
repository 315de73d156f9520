/**
 * Structured JSON logs: one line per record with `ts`, `level`, `msg`, then
 * the bound fields (`controller`, `key`, ...) and the call's fields. Every
 * field and the message pass through the redaction layer before they are
 * serialised, so a caller that logs a whole object cannot leak a Secret.
 */
import { redact, redactText } from "./redact.js";

export type LogLevel = "debug" | "info" | "warn" | "error";
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every record (e.g. `{ controller: "host" }`). */
  with(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** Records below this level are dropped. @default "info" */
  readonly level?: LogLevel;
  /** Where each line goes. @default process.stderr */
  readonly write?: (line: string) => void;
  /** Clock for `ts`. @default () => new Date() */
  readonly now?: () => Date;
  /** Extra text redaction (e.g. known literal secrets), after the built-in one. */
  readonly redactText?: (text: string) => string;
}

const RESERVED = new Set(["ts", "level", "msg"]);

export function createLogger(opts: LoggerOptions = {}, bound: LogFields = {}): Logger {
  const min = RANK[opts.level ?? "info"];
  const write = opts.write ?? ((line: string) => void process.stderr.write(line));
  const now = opts.now ?? (() => new Date());
  const extra = opts.redactText ?? ((t: string) => t);
  const emit = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (RANK[level] < min) return;
    const record: Record<string, unknown> = { ts: now().toISOString(), level, msg: extra(redactText(msg)) };
    for (const src of [bound, fields ?? {}]) {
      for (const [k, v] of Object.entries(src)) {
        if (RESERVED.has(k) || v === undefined) continue;
        record[k] = v instanceof Error ? { name: v.name, message: v.message, code: (v as { code?: unknown }).code } : v;
      }
    }
    const line = JSON.stringify(redact(record), (_k, v: unknown) => (typeof v === "string" ? extra(v) : v));
    write(`${line}\n`);
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    with: (fields) => createLogger(opts, { ...bound, ...fields }),
  };
}

/** A logger that drops everything, for tests and libraries used without one. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  with: () => silentLogger,
};
