/**
 * Provisioning state → handler, Metal3's state strings
 * (baremetal-operator host_state_machine.go). `ready` and `match profile`
 * are states old operators wrote; they are mapped onto their successors.
 */
import { ProvisioningState } from "../../api/index.js";
import { complete } from "./action-result.js";
import type { StateHandler } from "./host-scope.js";
import { handleAvailable } from "./handlers/available.js";
import { handleDeleting } from "./handlers/deleting.js";
import { handleDeprovisioning } from "./handlers/deprovisioning.js";
import { handleExternallyProvisioned } from "./handlers/externally-provisioned.js";
import { handleInspecting } from "./handlers/inspecting.js";
import { handleNewHost } from "./handlers/new-host.js";
import { handlePoweringOffBeforeDelete } from "./handlers/powering-off-before-delete.js";
import { handlePreparing } from "./handlers/preparing.js";
import { handleProvisioned } from "./handlers/provisioned.js";
import { handleProvisioning } from "./handlers/provisioning.js";
import { handleRegistering } from "./handlers/registering.js";
import { handleUnmanaged } from "./handlers/unmanaged.js";

export const STATE_HANDLERS: Readonly<Record<ProvisioningState, StateHandler>> = {
  [ProvisioningState.None]: handleNewHost,
  [ProvisioningState.Unmanaged]: handleUnmanaged,
  [ProvisioningState.Registering]: handleRegistering,
  [ProvisioningState.MatchProfile]: () => Promise.resolve(complete(ProvisioningState.Preparing)),
  [ProvisioningState.Inspecting]: handleInspecting,
  [ProvisioningState.Preparing]: handlePreparing,
  [ProvisioningState.Ready]: () => Promise.resolve(complete(ProvisioningState.Available)),
  [ProvisioningState.Available]: handleAvailable,
  [ProvisioningState.Provisioning]: handleProvisioning,
  [ProvisioningState.Provisioned]: handleProvisioned,
  [ProvisioningState.ExternallyProvisioned]: handleExternallyProvisioned,
  [ProvisioningState.Deprovisioning]: handleDeprovisioning,
  [ProvisioningState.PoweringOffBeforeDelete]: handlePoweringOffBeforeDelete,
  [ProvisioningState.Deleting]: handleDeleting,
};

export function handlerFor(state: string): StateHandler | undefined {
  return (STATE_HANDLERS as Record<string, StateHandler | undefined>)[state];
}
