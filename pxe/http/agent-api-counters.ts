/**
 * Counters of the agent API, read by whoever exports metrics (the manager
 * puts them on /metrics: cmd/agent-api-metrics.ts): calls the backend accepted, per route, and requests refused, per
 * stable error code — including the 401/403/404 BootHttpServer answers
 * before the agent handler runs (its `agentRejected` option).
 */
export type AgentApiRoute = "whoami" | "instructions" | "inventory" | "progress" | "result";

export interface AgentApiCountersSnapshot {
  readonly accepted: Readonly<Record<AgentApiRoute, number>>;
  /** By error code, e.g. `AGENT_BAD_BODY`, `AGENT_TOKEN_INVALID`; codes never seen are absent. */
  readonly rejected: Readonly<Record<string, number>>;
}

export class AgentApiCounters {
  private readonly accepted: Record<AgentApiRoute, number> = { whoami: 0, instructions: 0, inventory: 0, progress: 0, result: 0 };
  private readonly rejected = new Map<string, number>();

  accept(route: AgentApiRoute): void {
    this.accepted[route] += 1;
  }

  reject(code: string): void {
    this.rejected.set(code, (this.rejected.get(code) ?? 0) + 1);
  }

  snapshot(): AgentApiCountersSnapshot {
    return { accepted: { ...this.accepted }, rejected: Object.fromEntries(this.rejected) };
  }
}
