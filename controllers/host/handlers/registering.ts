/**
 * `registering`: prove the BMC answers with these credentials by reading the
 * power state (what baremetal-operator's Ironic provisioner does), then pick
 * the next state: externally provisioned, inspecting, or preparing when
 * inspection is disabled. Inspection may boot the ramdisk, so entering it
 * takes a provisioning slot like provisioning does.
 *
 * A host held back for a slot (`delayed`) asks again every poll. Its BMC was
 * proven on the step that delayed it, so while neither the credentials
 * Secret nor the spec changed it asks the limiter only: in a fleet of 1000
 * hosts and 20 slots, re-reading every waiting host's power each poll was
 * about 200 BMC requests a second, none of them needed (Metal3 registers a
 * host with Ironic once too, not per requeue).
 */
import { ErrorType, HostCondition, OperationalStatus, ProvisioningState } from "../../../api/index.js";
import { getCondition } from "../../runtime/conditions.js";
import { complete, type ActionResult } from "../action-result.js";
import { credentialsChanged, validateBmc } from "../credentials-check.js";
import type { HostScope, StatusDraft } from "../host-scope.js";
import { inspectRequest } from "../host-annotations.js";
import { delayed } from "./available.js";

export async function handleRegistering(scope: HostScope, draft: StatusDraft): Promise<ActionResult> {
  if (!provenWhileDelayed(scope, draft)) {
    const check = await validateBmc(scope, draft, ErrorType.Registration);
    if (check !== undefined) return check;
  }
  if (scope.host.spec.externallyProvisioned === true) return complete(ProvisioningState.ExternallyProvisioned);
  const inspectionOff = scope.host.spec.inspectionMode === "disabled" || inspectRequest(scope.host.metadata) === "disabled";
  if (inspectionOff) return complete(ProvisioningState.Preparing);
  if (!scope.limiter.hasCapacity(scope.hostKey)) return delayed(scope, draft);
  return complete(ProvisioningState.Inspecting);
}

/** Delayed here after a successful check of this Secret version, and the spec is the one that check saw. */
function provenWhileDelayed(scope: HostScope, draft: StatusDraft): boolean {
  if (draft.operationalStatus !== OperationalStatus.Delayed || credentialsChanged(scope, draft)) return false;
  const healthy = getCondition(draft.conditions, HostCondition.Healthy);
  return healthy?.status === "True" && healthy.observedGeneration === scope.host.metadata.generation;
}
