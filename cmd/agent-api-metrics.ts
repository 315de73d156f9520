/**
 * The agent API's counters (pxe/http/agent-api-counters.ts) on the manager's
 * /metrics. The boot service keeps the counts; these collectors read them at
 * scrape time, so pxe/ stays free of the controller runtime and nothing is
 * counted twice.
 */
import type { Registry } from "../controllers/runtime/index.js";
import type { AgentApiCounters, AgentApiRoute } from "../pxe/http/agent-api-counters.js";

export const AGENT_API_CALLS = "anvil_agent_api_calls_total";
export const AGENT_API_REFUSALS = "anvil_agent_api_refusals_total";

export function exportAgentApiCounters(registry: Registry, counters: AgentApiCounters): void {
  const calls = registry.counter(AGENT_API_CALLS, "Deploy agent API calls the agent backend answered, by route.", ["route"]);
  const refusals = registry.counter(AGENT_API_REFUSALS, "Deploy agent API calls refused, by error code (401/403/404 before routing included).", ["code"]);
  calls.onCollect(() => {
    const { accepted } = counters.snapshot();
    for (const [route, n] of Object.entries(accepted) as [AgentApiRoute, number][]) calls.inc({ route }, n - calls.get({ route }));
  });
  refusals.onCollect(() => {
    for (const [code, n] of Object.entries(counters.snapshot().rejected)) refusals.inc({ code }, n - refusals.get({ code }));
  });
}
