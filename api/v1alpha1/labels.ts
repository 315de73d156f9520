/**
 * Group, version, and the label and annotation keys Anvil's infrastructure
 * kinds read or write. Keys owned by Cluster API are spelled as CAPI v1.14
 * defines them (sigs.k8s.io/cluster-api/api/core/v1beta2 common_types.go).
 */

export const INFRASTRUCTURE_GROUP = "infrastructure.cluster.x-k8s.io";
export const INFRASTRUCTURE_VERSION = "v1alpha1";
export const INFRASTRUCTURE_API_VERSION = `${INFRASTRUCTURE_GROUP}/${INFRASTRUCTURE_VERSION}`;

import { PROVIDER_LABEL, PROVIDER_NAME } from "../common/provider.js";

export { PROVIDER_NAME };

/**
 * Labels on Anvil's CRDs. CAPI finds which API version of an infrastructure
 * kind satisfies a contract through `cluster.x-k8s.io/<contract>: <versions>`
 * on its CRD (book: developer/providers/contracts/overview, "API version
 * labels"); clusterctl groups components by the provider label.
 */
export const CRD_LABELS = {
  "cluster.x-k8s.io/v1beta2": INFRASTRUCTURE_VERSION,
  [PROVIDER_LABEL]: PROVIDER_NAME,
} as const;

export const Label = {
  /** Set by CAPI on every object of a cluster; Anvil also puts it on a claimed host. */
  ClusterName: "cluster.x-k8s.io/cluster-name",
  /** On a deprovisioned host kept for the same KubeadmControlPlane or MachineDeployment. */
  NodeReuse: "infrastructure.cluster.x-k8s.io/node-reuse",
  /** A host's failure domain, preferred when the machine asks for one. */
  FailureDomain: "infrastructure.cluster.x-k8s.io/failure-domain",
  /** Provider label every component of the release carries. */
  Provider: PROVIDER_LABEL,
} as const;

export const CapiAnnotation = {
  /** CAPI's pause annotation; any value pauses reconciliation of the object. */
  Paused: "cluster.x-k8s.io/paused",
  /** Present on objects another controller manages; the contract says skip them. */
  ManagedBy: "cluster.x-k8s.io/managed-by",
  /**
   * clusterctl move waits (about 2 min, then gives up) while an object of the
   * moved graph carries it; Anvil keeps it on an AnvilMachine until its host
   * is paused with its status saved (ADR 0019).
   */
  BlockMove: "clusterctl.cluster.x-k8s.io/block-move",
  /**
   * clusterctl move sets it (replacing every other annotation) on each source
   * object right before deleting it: the object lives on in the target
   * cluster, so nothing outside the API may be cleaned up (ADR 0019).
   */
  DeleteForMove: "clusterctl.cluster.x-k8s.io/delete-for-move",
  /** On an AnvilMachine: `<namespace>/<name>` of the BareMetalHost it claimed. */
  Host: "infrastructure.cluster.x-k8s.io/anvil-host",
} as const;

export const Finalizer = {
  AnvilCluster: "anvilcluster.infrastructure.cluster.x-k8s.io",
  AnvilMachine: "anvilmachine.infrastructure.cluster.x-k8s.io",
} as const;

/** `anvil://<namespace>/<host>/<machine>`: unique per claim, so a re-provisioned host gets a new ID. */
export const PROVIDER_ID_PATTERN = "^anvil://[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-.a-z0-9]*[a-z0-9])?/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$";

export function providerID(namespace: string, host: string, machine: string): string {
  return `anvil://${namespace}/${host}/${machine}`;
}
