/**
 * Records the HTTP requests that reach an address inside a lab namespace
 * (a VM's boot report, for instance) with their arrival times, so a test can
 * measure "VM start → request" on one clock.
 */
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { NetnsLab } from "./netns.js";
import { waitFor, type Supervised } from "./process.js";

export interface RecordedRequest {
  /** `Date.now()` when the request arrived. */
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly remote: string;
  readonly body: string;
}

export interface HttpRecorder {
  /** `http://host:port` + `path`. */
  url(path: string): string;
  requests(): RecordedRequest[];
  /** The first request matching `match`, waiting up to `timeoutMs` for it; `abort` returning a reason stops the wait. */
  next(match: (r: RecordedRequest) => boolean, timeoutMs: number, abort?: () => string | undefined): Promise<RecordedRequest>;
  readonly process: Supervised;
}

function parse(log: string): RecordedRequest[] {
  const out: RecordedRequest[] = [];
  for (const line of log.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      out.push(JSON.parse(line) as RecordedRequest);
    } catch {
      /* a line still being written */
    }
  }
  return out;
}

export async function startHttpRecorder(lab: NetnsLab, ns: string, host: string, port: number): Promise<HttpRecorder> {
  const proc = lab.startNode(ns, {
    name: `http-recorder-${port}`,
    entry: "e2e/framework/http-recorder-entry.ts",
    args: ["--listen", `${host}:${port}`],
  });
  const log = (): string => {
    try {
      return readFileSync(proc.logFile, "utf8");
    } catch {
      return "";
    }
  };
  await waitFor(`http recorder on ${host}:${port}`, () => Promise.resolve(log().includes("listening ")), {
    timeoutMs: 30_000,
    process: proc,
  });
  const requests = (): RecordedRequest[] => parse(log());
  return {
    url: (path) => `http://${host}:${port}${path}`,
    requests,
    async next(match, timeoutMs, abort) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = requests().find(match);
        if (hit) return hit;
        const why = abort?.();
        if (why !== undefined) throw new Error(`stopped waiting for an HTTP request at ${host}:${port}: ${why}`);
        if (Date.now() > deadline) throw new Error(`no matching HTTP request at ${host}:${port} within ${timeoutMs} ms`);
        await sleep(100);
      }
    },
    process: proc,
  };
}
