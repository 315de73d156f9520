/**
 * Condition types and reasons Anvil sets on its infrastructure objects, as
 * documented constants beside the types (CAPI v1beta2 convention: condition
 * `Ready` on an InfraMachine is mirrored into the Machine's
 * `InfrastructureReady`; a `Paused` condition reports pausing).
 */

export const ConditionType = {
  /** The object is fully reconciled; summarises the others. */
  Ready: "Ready",
  /** Reconciliation is paused by the Cluster or the `cluster.x-k8s.io/paused` annotation. */
  Paused: "Paused",
  /** AnvilMachine: a BareMetalHost is claimed (its consumerRef points here). */
  HostAssociated: "HostAssociated",
  /** AnvilMachine: the claimed host is provisioned with the machine's image. */
  HostProvisioned: "HostProvisioned",
  /** AnvilCluster: the control plane endpoint is known. */
  ControlPlaneEndpointReady: "ControlPlaneEndpointReady",
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

export const ConditionReason = {
  /** Generic success reason for Ready and its parts. */
  Ready: "Ready",
  NotReady: "NotReady",
  Paused: "Paused",
  NotPaused: "NotPaused",
  /** CAPI has not set the owner reference (a Cluster on an AnvilCluster, a Machine on an AnvilMachine) yet. */
  WaitingForOwner: "WaitingForOwner",
  /** The owning Cluster's infrastructure is not provisioned yet. */
  WaitingForClusterInfrastructure: "WaitingForClusterInfrastructure",
  /** The Machine's bootstrap data Secret is not set yet. */
  WaitingForBootstrapData: "WaitingForBootstrapData",
  /** No available host matches hostSelector; retried. */
  NoAvailableHost: "NoAvailableHost",
  HostAssociated: "HostAssociated",
  /** The claimed host was deleted or lost its consumerRef. */
  HostLost: "HostLost",
  Provisioning: "Provisioning",
  Provisioned: "Provisioned",
  /** The host reports an error (status.errorType); the message carries it. */
  HostError: "HostError",
  Deprovisioning: "Deprovisioning",
  Deleting: "Deleting",
  /** spec.controlPlaneEndpoint is empty. */
  WaitingForControlPlaneEndpoint: "WaitingForControlPlaneEndpoint",
  ControlPlaneEndpointSet: "ControlPlaneEndpointSet",
  /** spec.controlPlaneEndpoint has no host or a port outside 1..65535. */
  InvalidControlPlaneEndpoint: "InvalidControlPlaneEndpoint",
} as const;
export type ConditionReason = (typeof ConditionReason)[keyof typeof ConditionReason];
