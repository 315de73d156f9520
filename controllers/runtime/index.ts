/**
 * The controller runtime: import from here. See docs/controllers.md for a
 * walk-through and docs/adr/0005-reconcile-shape.md for the decisions.
 */
export { PerKeyBackoff, type BackoffOptions } from "./backoff.js";
export { WorkQueue, type ReconcileContext, type ReconcileOutcome, type Reconciler, type WorkQueueOptions } from "./work-queue.js";
export { getCondition, isTrue, sameConditions, setCondition, type Condition, type ConditionStatus, type ConditionUpdate } from "./conditions.js";
export { ApiError, ApiErrorCode, isApiError, isConflict, isNotFound, type FieldCause } from "./errors.js";
export { TokenBucket, type TokenBucketOptions } from "./token-bucket.js";
export { Transport, type TransportOptions, type WatchEvent } from "./transport.js";
export {
  apiVersionOf,
  ConfigMapKind,
  EventKind,
  keyOf,
  LeaseKind,
  SecretKind,
  splitKey,
  type KindRef,
  type KubeObject,
  type ObjectMeta,
} from "./object.js";
export { PatchType, ResourceClient, type DeleteOptions, type JsonPatchOp, type ListOptions, type ListResult } from "./resource-client.js";
export { Informer, type InformerHandlers, type InformerOptions } from "./informer.js";
export { Controller, type ControllerOptions } from "./controller.js";
export { objectReconciler, type ObjectReconcilerOptions, type Scope } from "./reconcile-shape.js";
export {
  applyMergePatch,
  ensureFinalizer,
  hasFinalizer,
  mergePatchOf,
  patchStatus,
  removeFinalizer,
  updateObject,
  type ConcurrentWriteOptions,
} from "./concurrent-write.js";
export { EventAggregator, type EventAggregatorOptions, type EventDecision, type EventKey } from "./event-aggregator.js";
export { EventRecorder, type EventRecorderOptions } from "./event-recorder.js";
export { LeaderElector, type LeaderCallbacks, type LeaderElectionOptions, type Lease } from "./leader-election.js";
export { Counter, DEFAULT_BUCKETS, Gauge, Histogram, METRICS_CONTENT_TYPE, MetricError, Registry, type Labels } from "./metrics.js";
export { registerRuntimeMetrics, type RuntimeMetrics } from "./runtime-metrics.js";
export { ProbeServer, type Check, type ProbeServerOptions } from "./probe-server.js";
export { createLogger, silentLogger, type LogFields, type Logger, type LoggerOptions, type LogLevel } from "./logger.js";
export { REDACTED, redact, redactorFor, redactText } from "./redact.js";
export { Manager, ManagerError, type ManagerOptions } from "./manager.js";
export { bindAddress, FlagError, runtimeFlagsFrom, type RuntimeFlags } from "./flags.js";
export { AnvilClusterRef, AnvilMachineRef, BareMetalHostRef, CapiClusterRef, CapiMachineRef, HardwareDataRef, kindRefOf } from "./kinds.js";
export type { EventsV1 } from "./event-recorder.js";
