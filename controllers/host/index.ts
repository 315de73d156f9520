/** The BareMetalHost state machine: what the Kubernetes host controller calls. */
export { reconcileHost, initialStatus, STABLE_RECHECK_MS, type HostReconcileResult } from "./reconcile-host.js";
export {
  DEFAULT_TIMING,
  type AgentStatus,
  type Clock,
  type CredentialsLookup,
  type HostEvent,
  type HostScope,
  type HostTiming,
  type Provisioner,
  type ProvisioningLimiter,
  type RamdiskJob,
  type RamdiskPurpose,
} from "./host-scope.js";
export { errorBackoffMs, ERROR_BACKOFF_BASE_MS, ERROR_BACKOFF_CAP_MS } from "./error-backoff.js";
export { STATE_HANDLERS } from "./state-table.js";
