/**
 * What an AnvilMachine says about its host: addresses for the Machine (and
 * so the Node's providerID match), and a HostProvisioned/Ready reason and
 * message that tell the host's state and progress, so `kubectl get
 * anvilmachine` answers "why is my machine not ready?" without a trip to
 * the host. Messages never carry the image URL: pre-signed URLs are secrets.
 */
import {
  ConditionReason,
  OperationalStatus,
  ProvisioningState,
  type BareMetalHost,
  type MachineAddress,
} from "../../api/index.js";

/** NIC IPs as InternalIP, the inspected hostname as Hostname and InternalDNS (CAPM3's mapping). */
export function addressesOf(h: BareMetalHost): MachineAddress[] {
  const out: MachineAddress[] = [];
  const seen = new Set<string>();
  const add = (type: MachineAddress["type"], address: string | undefined): void => {
    if (!address || seen.has(`${type}/${address}`)) return;
    seen.add(`${type}/${address}`);
    out.push({ type, address });
  };
  for (const nic of h.status?.hardware?.nics ?? []) add("InternalIP", nic.ip);
  add("Hostname", h.status?.hardware?.hostname);
  add("InternalDNS", h.status?.hardware?.hostname);
  return out.slice(0, 64);
}

export interface HostProgress {
  readonly provisioned: boolean;
  readonly reason: ConditionReason;
  readonly message: string;
}

export function hostProgress(h: BareMetalHost): HostProgress {
  const who = `host ${h.metadata.namespace ?? ""}/${h.metadata.name ?? ""}`;
  const st = h.status;
  const state = st?.provisioning.state ?? "";
  if (h.metadata.deletionTimestamp !== undefined) return { provisioned: false, reason: ConditionReason.Deleting, message: `${who} is being deleted (state ${state || "(none)"})` };
  if (st?.operationalStatus === OperationalStatus.Error || (st?.errorMessage ?? "") !== "") {
    const type = st?.errorType ? `${st.errorType}: ` : "";
    return { provisioned: state === ProvisioningState.Provisioned, reason: ConditionReason.HostError, message: `${who} reports ${type}${st?.errorMessage ?? ""} (state ${state}, errorCount ${st?.errorCount ?? 0})` };
  }
  const power = st?.poweredOn ? "powered on" : "powered off";
  switch (state) {
    case ProvisioningState.Provisioned:
      return { provisioned: true, reason: ConditionReason.Provisioned, message: `${who} is provisioned (${power})` };
    case ProvisioningState.Provisioning: {
      const since = st?.operationHistory?.provision?.start;
      return { provisioned: false, reason: ConditionReason.Provisioning, message: `${who} is provisioning${since ? ` since ${since}` : ""} (${power})` };
    }
    case ProvisioningState.Deprovisioning:
      return { provisioned: false, reason: ConditionReason.Deprovisioning, message: `${who} is deprovisioning (${power})` };
    default: {
      const delayed = st?.operationalStatus === OperationalStatus.Delayed ? ", waiting for a free provisioning slot" : "";
      return { provisioned: false, reason: ConditionReason.Provisioning, message: `${who} is in state ${state || "(none)"}${delayed}; provisioning follows` };
    }
  }
}

/** States in which the host still holds (or is wiping) the machine's image. */
export function holdsImage(h: BareMetalHost): boolean {
  const s = h.status?.provisioning.state ?? "";
  return s === ProvisioningState.Provisioning || s === ProvisioningState.Provisioned || s === ProvisioningState.Deprovisioning;
}
