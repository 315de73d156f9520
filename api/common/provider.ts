/**
 * clusterctl's name for Anvil (`infrastructure-<name>`): the value of the
 * provider label on every object of Anvil's release, CRDs included
 * (book: developer/providers/contracts/clusterctl).
 */
export const PROVIDER_NAME = "infrastructure-anvil";
export const PROVIDER_LABEL = "cluster.x-k8s.io/provider";
export const PROVIDER_LABELS = { [PROVIDER_LABEL]: PROVIDER_NAME } as const;
