/**
 * clusterctl's name for Anvil (`infrastructure-<name>`): the value of the
 * provider label on every object of Anvil's release, CRDs included
 * (book: developer/providers/contracts/clusterctl).
 */
export const PROVIDER_NAME = "infrastructure-anvil";
export const PROVIDER_LABEL = "cluster.x-k8s.io/provider";
export const PROVIDER_LABELS = { [PROVIDER_LABEL]: PROVIDER_NAME } as const;

/**
 * `clusterctl move` carries objects of a CRD with this label, and everything
 * they own, to the target cluster even when no Cluster owns them (CAPI
 * cmd/clusterctl/api/v1alpha3 labels.go): BareMetalHosts are inventory, not
 * part of any one Cluster, yet must follow the management cluster.
 */
export const MOVE_HIERARCHY_LABELS = { "clusterctl.cluster.x-k8s.io/move-hierarchy": "true" } as const;
