/**
 * An in-memory AgentBackend for tests: records every call, answers
 * `GET /instructions` from a queue the test fills (then `wait`), and can be
 * told to fail or hang a route. It keeps no idempotency of its own: a retried
 * result is recorded twice, which is what the API tests check passes through.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { HardwareDetails } from "../../../api/index.js";
import type { AgentBackend, AgentInstructions, AgentProgress, AgentResult } from "../../agent-backend.js";
import type { BootRecord } from "../../boot-backend.js";

export type AgentCall =
  | { readonly at: number; readonly host: string; readonly route: "instructions"; readonly answer: AgentInstructions }
  | { readonly at: number; readonly host: string; readonly route: "inventory"; readonly hardware: HardwareDetails }
  | { readonly at: number; readonly host: string; readonly route: "progress"; readonly progress: AgentProgress }
  | { readonly at: number; readonly host: string; readonly route: "result"; readonly result: AgentResult };

export type AgentCallRoute = AgentCall["route"];

export interface MemoryAgentBackend extends AgentBackend {
  readonly calls: AgentCall[];
  /** The next `GET /instructions` answers this, once; an empty queue answers `wait`. */
  give(instructions: AgentInstructions): void;
  /** While set, calls of `route` reject with this error (`"hang"`: never settle, until aborted). */
  failing: Partial<Record<AgentCallRoute, Error | "hang">>;
  waitFor<T extends AgentCall>(pred: (c: AgentCall) => c is T, timeoutMs: number): Promise<T>;
}

const WAIT: AgentInstructions = { action: "wait", retryAfterSeconds: 1 };

export function memoryAgentBackend(): MemoryAgentBackend {
  const calls: AgentCall[] = [];
  const queue: AgentInstructions[] = [];
  const self: MemoryAgentBackend = {
    calls,
    failing: {},
    give: (i) => void queue.push(i),
    async instructions(record, signal) {
      await gate("instructions", signal);
      const answer = queue.shift() ?? WAIT;
      calls.push({ at: Date.now(), host: record.hostName, route: "instructions", answer });
      return answer;
    },
    async inventory(record: BootRecord, hardware, signal) {
      await gate("inventory", signal);
      calls.push({ at: Date.now(), host: record.hostName, route: "inventory", hardware });
    },
    async progress(record, progress, signal) {
      await gate("progress", signal);
      calls.push({ at: Date.now(), host: record.hostName, route: "progress", progress });
    },
    async result(record, result, signal) {
      await gate("result", signal);
      calls.push({ at: Date.now(), host: record.hostName, route: "result", result });
    },
    async waitFor<T extends AgentCall>(pred: (c: AgentCall) => c is T, timeoutMs: number): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = calls.find(pred);
        if (hit) return hit;
        if (Date.now() >= deadline) throw new Error(`no matching agent call within ${timeoutMs} ms; last: ${calls.slice(-8).map((c) => c.route).join(", ")}`);
        await sleep(100);
      }
    },
  };
  const gate = async (route: AgentCallRoute, signal?: AbortSignal): Promise<void> => {
    const f = self.failing[route];
    if (f === "hang") {
      await new Promise<never>((_, reject) => signal?.addEventListener("abort", () => reject(new Error("aborted")), { once: true }));
    } else if (f) {
      throw f;
    }
  };
  return self;
}
