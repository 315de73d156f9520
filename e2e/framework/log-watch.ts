/**
 * When did a line first appear in a peer's log? Servers without their own
 * timestamps (busybox httpd, a service's access log) are timed by polling the
 * log file; the answer is `Date.now()` at discovery, at most one interval late.
 */
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

export class LogWatchTimeout extends Error {
  readonly code = "LOG_WATCH_TIMEOUT";
  constructor(message: string) {
    super(message);
    this.name = "LogWatchTimeout";
  }
}

function read(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

export interface LogWatchOptions {
  readonly timeoutMs: number;
  /** @default 25 */
  readonly intervalMs?: number;
  /** Ignore what the log held before this byte offset (an earlier run's lines). @default 0 */
  readonly fromOffset?: number;
  /** Stop early (the VM that would write it has exited, say). */
  readonly abort?: () => string | undefined;
}

/** Resolves with `Date.now()` when the first line matching `pattern` is seen, and that line. */
export async function firstLogLine(file: string, pattern: RegExp, opts: LogWatchOptions): Promise<{ at: number; line: string }> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const text = read(file).slice(opts.fromOffset ?? 0);
    const line = text.split("\n").find((l) => pattern.test(l));
    if (line !== undefined) return { at: Date.now(), line };
    const why = opts.abort?.();
    if (why !== undefined) throw new LogWatchTimeout(`gave up waiting for ${pattern} in ${file}: ${why}`);
    if (Date.now() > deadline) throw new LogWatchTimeout(`no ${pattern} in ${file} within ${opts.timeoutMs} ms`);
    await sleep(opts.intervalMs ?? 25);
  }
}

/** The current size of `file` in characters, to pass as `fromOffset` later. */
export function logOffset(file: string): number {
  return read(file).length;
}
