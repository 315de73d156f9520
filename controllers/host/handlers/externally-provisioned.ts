/** `externally provisioned`: something else installed the host; Anvil manages its power only. */
import { ProvisioningState } from "../../../api/index.js";
import { complete, cont, type ActionResult } from "../action-result.js";
import type { Effects, HostScope, StatusDraft } from "../host-scope.js";
import { enforcePower } from "../power-enforcement.js";

export async function handleExternallyProvisioned(scope: HostScope, draft: StatusDraft, effects: Effects): Promise<ActionResult> {
  const spec = scope.host.spec;
  if (spec.externallyProvisioned !== true && (spec.image?.url ?? "") === "") return complete(ProvisioningState.Available);
  return (await enforcePower(scope, draft, effects)) ?? cont();
}
