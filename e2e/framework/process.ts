/**
 * Supervised child processes for tests. Every peer runs in the foreground as
 * our child (PID 1 here reaps no orphans), its output goes to a log file that
 * a failing test can print, and `stop()` kills the whole process group.
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

export interface Supervised {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** The last `lines` lines of the log, for failure messages. */
  tail(lines?: number): string;
  /** SIGTERM the group, then SIGKILL after `graceMs`. Idempotent. */
  stop(graceMs?: number): Promise<void>;
  readonly exited: Promise<number | null>;
}

export interface StartOptions extends Pick<SpawnOptions, "cwd" | "env"> {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
}

export function startProcess(opts: StartOptions): Supervised {
  const log = createWriteStream(opts.logFile, { flags: "a" });
  const child = spawn(opts.command, [...opts.args], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true, // own process group: stop() kills grandchildren too
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code, sig) => resolve(code ?? (sig ? -1 : null)));
    child.once("error", () => resolve(-1));
  });
  let stopping: Promise<void> | undefined;
  const killGroup = (sig: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      /* already gone */
    }
  };
  return {
    name: opts.name,
    child,
    logFile: opts.logFile,
    exited,
    tail(lines = 40) {
      try {
        return readFileSync(opts.logFile, "utf8").split("\n").slice(-lines).join("\n");
      } catch {
        return "";
      }
    },
    stop(graceMs = 3000) {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          killGroup("SIGTERM");
          const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
          if (!done) {
            killGroup("SIGKILL");
            await exited;
          }
        }
        log.end();
      })();
      return stopping;
    },
  };
}

/** Polls `probe` until it resolves truthy, the process exits, or `timeoutMs` passes. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; process?: Supervised },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (opts.process && opts.process.child.exitCode !== null) {
      throw new Error(`${opts.process.name} exited (${opts.process.child.exitCode}) while waiting for ${what}:\n${opts.process.tail()}`);
    }
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err;
    }
    await sleep(opts.intervalMs ?? 100);
  }
  const tail = opts.process ? `\n${opts.process.tail()}` : "";
  throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}: ${String(lastError)}${tail}`);
}

/**
 * Polls `probe` until it returns a value other than undefined/false and
 * returns that value; errors count as "not yet" and the last one is
 * reported when `timeoutMs` passes.
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, opts: { timeoutMs: number; intervalMs?: number }): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ""}`);
    await sleep(opts.intervalMs ?? 100);
  }
}

/** Stops a peer (if it started) and removes its scratch directory, even when stopping fails. */
export async function stopAndRemove(proc: Supervised | undefined, dir: string): Promise<void> {
  try {
    await proc?.stop();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
