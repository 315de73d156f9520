/**
 * The metrics the runtime itself exports, and the ones it registers for the
 * controllers built on it (hosts per state, BMC operations), so their names
 * and labels are fixed in one place. Names follow controller-runtime's where
 * one exists, so existing dashboards read them.
 */
import type { Counter, Gauge, Histogram, Registry } from "./metrics.js";

export interface RuntimeMetrics {
  /** controller_runtime_reconcile_total{controller,result}: result is success | requeue | error. */
  readonly reconcileTotal: Counter;
  readonly reconcileErrors: Counter;
  /** Seconds per reconcile. */
  readonly reconcileDuration: Histogram;
  readonly queueDepth: Gauge;
  readonly queueRetries: Counter;
  readonly leader: Gauge;
  /** anvil_hosts{state}: set by the host controller at scrape time. */
  readonly hostsByState: Gauge;
  /** anvil_bmc_operation_duration_seconds{driver,operation}. */
  readonly bmcOperationDuration: Histogram;
  /** anvil_bmc_operation_errors_total{driver,operation,code}. */
  readonly bmcOperationErrors: Counter;
  /** Events dropped by the aggregator's rate limit. */
  readonly eventsDropped: Counter;
}

export function registerRuntimeMetrics(r: Registry): RuntimeMetrics {
  return {
    reconcileTotal: r.counter("controller_runtime_reconcile_total", "Reconciles by controller and result.", ["controller", "result"]),
    reconcileErrors: r.counter("controller_runtime_reconcile_errors_total", "Reconciles that failed, by controller.", ["controller"]),
    reconcileDuration: r.histogram("controller_runtime_reconcile_time_seconds", "Time per reconcile.", ["controller"]),
    queueDepth: r.gauge("workqueue_depth", "Keys waiting in the work queue.", ["name"]),
    queueRetries: r.counter("workqueue_retries_total", "Keys requeued after a failure.", ["name"]),
    leader: r.gauge("leader_election_master_status", "1 while this replica holds the lease.", ["name"]),
    hostsByState: r.gauge("anvil_hosts", "BareMetalHosts per provisioning state.", ["state"]),
    bmcOperationDuration: r.histogram("anvil_bmc_operation_duration_seconds", "Time per BMC operation.", ["driver", "operation"]),
    bmcOperationErrors: r.counter("anvil_bmc_operation_errors_total", "BMC operations that failed, by error code.", ["driver", "operation", "code"]),
    eventsDropped: r.counter("anvil_events_dropped_total", "Kubernetes Events not sent because of the per-object rate limit.", ["reason"]),
  };
}
