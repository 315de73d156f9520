/** status.operationHistory: the start and end of each long operation, stamped on state changes. */
import { ProvisioningState } from "../../api/index.js";
import type { StatusDraft } from "./host-scope.js";

type Operation = "register" | "inspect" | "provision" | "deprovision";

const OPERATION_OF: Partial<Record<string, Operation>> = {
  [ProvisioningState.Registering]: "register",
  [ProvisioningState.Inspecting]: "inspect",
  [ProvisioningState.Provisioning]: "provision",
  [ProvisioningState.Deprovisioning]: "deprovision",
};

export function stampTransition(draft: StatusDraft, from: string, to: string, now: Date): void {
  const stamp = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const history = (draft.operationHistory ??= {});
  const ended = OPERATION_OF[from];
  if (ended !== undefined) history[ended] = { start: history[ended]?.start ?? null, end: stamp };
  const started = OPERATION_OF[to];
  if (started !== undefined) history[started] = { start: stamp, end: null };
}
