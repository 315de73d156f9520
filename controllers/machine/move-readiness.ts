/**
 * Whether an AnvilMachine of a paused Cluster is ready for `clusterctl move`
 * (ADR 0019), as a pure decision on its host. clusterctl copies nothing while
 * any object of the move carries `clusterctl.cluster.x-k8s.io/block-move`; an
 * AnvilMachine keeps it until its host is frozen in a settled state with that
 * state saved in Metal3's status annotation (which the host controller writes
 * for paused hosts), so the copy on the target restores it instead of
 * registering, inspecting and deploying the host again.
 */
import { HostAnnotation, ProvisioningState, type BareMetalHost } from "../../api/index.js";

/**
 * States a host can be frozen in. A host mid-deploy or mid-wipe runs a
 * ramdisk job against this management cluster's agent API; it is let finish.
 */
export const SETTLED_STATES: ReadonlySet<string> = new Set([
  ProvisioningState.Available,
  ProvisioningState.Ready,
  ProvisioningState.Provisioned,
  ProvisioningState.ExternallyProvisioned,
]);

export type MoveReadiness =
  | { readonly kind: "ready" }
  /** Pause the host now (it is settled and not paused yet). */
  | { readonly kind: "pause-host" }
  /** Keep blocking the move; the host's next change wakes the machine. */
  | { readonly kind: "wait"; readonly message: string };

const nameOf = (h: BareMetalHost): string => `${h.metadata.namespace ?? ""}/${h.metadata.name ?? ""}`;

function savedState(h: BareMetalHost): string | undefined {
  const raw = h.metadata.annotations?.[HostAnnotation.Status];
  if (raw === undefined) return undefined;
  try {
    const parsed = JSON.parse(raw) as { provisioning?: { state?: unknown } };
    return typeof parsed.provisioning?.state === "string" ? parsed.provisioning.state : undefined;
  } catch {
    return undefined;
  }
}

export function moveReadiness(host: BareMetalHost | undefined): MoveReadiness {
  if (host === undefined) return { kind: "ready" };
  const state = host.status?.provisioning.state ?? ProvisioningState.None;
  const paused = HostAnnotation.Paused in (host.metadata.annotations ?? {});
  if (!paused) {
    if (!SETTLED_STATES.has(state)) {
      return { kind: "wait", message: `host ${nameOf(host)} is ${state || "not registered yet"}; it is paused for the move once it settles` };
    }
    return { kind: "pause-host" };
  }
  if (state !== ProvisioningState.None && savedState(host) === state) return { kind: "ready" };
  return { kind: "wait", message: `host ${nameOf(host)} is paused; waiting for its status (${state || "empty"}) to be saved in ${HostAnnotation.Status}` };
}
