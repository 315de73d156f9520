/**
 * Registration's proof that the BMC is usable: the credentials Secret is
 * there and complete, and the BMC accepts it (a power-state read). The
 * Secret's resourceVersion goes to triedCredentials before the attempt and
 * to goodCredentials after it, so a changed Secret is noticed
 * (baremetal-operator's credentials status, api/metal3/v1alpha1).
 */
import type { ErrorType } from "../../api/index.js";
import { isBmcError } from "../../bmc/errors.js";
import { BmcErrorCode } from "../../bmc/errors.js";
import { failed, type ActionResult } from "./action-result.js";
import { attempt, describeBmcFailure } from "./bmc-failure.js";
import type { HostScope, StatusDraft } from "./host-scope.js";

export async function validateBmc(scope: HostScope, draft: StatusDraft, errorType: ErrorType): Promise<ActionResult | undefined> {
  const creds = scope.credentials;
  if (creds.kind === "missing") return failed(errorType, `BMC credentials Secret "${creds.secretName}" not found`);
  if (creds.kind === "incomplete") {
    return failed(errorType, `BMC credentials Secret "${creds.secretName}" lacks ${creds.missingKeys.join(", ")}`);
  }
  const ref = { credentials: { name: creds.secretName, namespace: scope.host.metadata.namespace ?? "" }, credentialsVersion: creds.version };
  draft.triedCredentials = ref;
  const bmc = scope.bmc;
  if (bmc === undefined) return failed(errorType, `no BMC client for ${scope.host.spec.bmc?.address === undefined ? "an empty address" : "the host's BMC address"}`);
  const read = await attempt(() => bmc.power.getPower());
  if (!read.ok) {
    if (isBmcError(read.error, BmcErrorCode.AuthFailed)) {
      return failed(errorType, `the BMC ${bmc.displayAddress} rejected the credentials in Secret "${creds.secretName}"`);
    }
    return failed(errorType, describeBmcFailure(`reaching the BMC ${bmc.displayAddress}`, read.error));
  }
  draft.poweredOn = read.value === "on";
  draft.goodCredentials = ref;
  return undefined;
}

/** Whether the Secret changed since it last worked, so registration must be proven again. */
export function credentialsChanged(scope: HostScope, draft: StatusDraft): boolean {
  const creds = scope.credentials;
  if (creds.kind !== "present") return true;
  return draft.goodCredentials?.credentialsVersion !== creds.version || draft.goodCredentials.credentials?.name !== creds.secretName;
}
