/**
 * DSP0266 "Asynchronous operations": a service may answer a modification with
 * 202 Accepted and a task monitor URI in Location. GET on the monitor answers
 * 202 while the task runs and the operation's own response once it is done;
 * some services answer the Task resource itself, whose TaskState tells.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { BmcError, BmcErrorCode } from "../errors.js";
import type { RedfishHttp, RedfishResponse } from "./http.js";
import type { Task } from "./resources.js";

/** Redfish Task.TaskState values that mean the task is over (Task schema). */
const FINISHED = new Set(["Completed", "Exception", "Killed", "Cancelled", "Interrupted"]);
const FAILED = new Set(["Exception", "Killed", "Cancelled", "Interrupted"]);

export interface TaskPollOptions {
  readonly signal?: AbortSignal | undefined;
  /** Delay between polls when the service sends no Retry-After. @default 500 */
  readonly intervalMs?: number;
  /** Upper bound of one delay, whatever Retry-After says. @default 5_000 */
  readonly maxIntervalMs?: number;
}

function isTask(body: unknown): body is Task {
  return typeof body === "object" && body !== null && typeof (body as Task).TaskState === "string";
}

function taskFailure(where: string, task: Task): BmcError {
  const said = (task.Messages ?? []).map((m) => m.Message ?? m.MessageId).filter((m): m is string => typeof m === "string");
  const bmcMessage = said.length > 0 ? said.join("; ") : undefined;
  return new BmcError(BmcErrorCode.BmcError, `${where}: task ended ${task.TaskState ?? "?"}/${task.TaskStatus ?? "?"}${bmcMessage ? `: ${bmcMessage}` : ""}`, {
    bmcMessage,
  });
}

/** Follows `first` to completion when it is a 202 with a task monitor; returns the final response. */
export async function awaitTask(http: RedfishHttp, where: string, first: RedfishResponse, opts: TaskPollOptions = {}): Promise<RedfishResponse> {
  let res = first;
  const monitor = first.status === 202 ? first.location : undefined;
  if (monitor === undefined) {
    if (isTask(res.body) && FAILED.has(res.body.TaskState ?? "")) throw taskFailure(where, res.body);
    return res;
  }
  const interval = opts.intervalMs ?? 500;
  const cap = opts.maxIntervalMs ?? 5_000;
  for (;;) {
    const wait = Math.min(cap, res.retryAfterSeconds !== undefined ? res.retryAfterSeconds * 1000 : interval);
    try {
      await sleep(wait, undefined, { signal: opts.signal });
    } catch {
      throw new BmcError(BmcErrorCode.Timeout, `${where}: task ${monitor} still running at the deadline`, { transient: true });
    }
    res = await http.get(monitor, opts.signal);
    if (res.status === 202) continue;
    if (isTask(res.body)) {
      const state = res.body.TaskState ?? "";
      if (FAILED.has(state)) throw taskFailure(where, res.body);
      if (!FINISHED.has(state)) continue;
    }
    return res;
  }
}
