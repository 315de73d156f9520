/**
 * The one entry point the composition root calls: registers the AnvilCluster
 * and AnvilMachine controllers, their caches and watches on a Manager.
 *
 *   registerClusterControllers({ manager, concurrency: flags.concurrency });
 *
 * Caches: AnvilCluster, AnvilMachine, CAPI Cluster and Machine, and the
 * BareMetalHost cache the host controller shares. Secrets are read from the
 * API server when needed, never cached (there can be many, and big).
 */
import type { AnvilCluster, AnvilMachine, BareMetalHost } from "../../api/index.js";
import {
  AnvilClusterRef,
  AnvilMachineRef,
  BareMetalHostRef,
  CapiClusterRef,
  CapiMachineRef,
  keyOf,
  SecretKind,
  type Manager,
} from "../runtime/index.js";
import { refersTo, type CapiCluster, type CapiMachine } from "../cluster/capi-objects.js";
import { clusterReconciler } from "../cluster/reconcile-cluster.js";
import type { Secret } from "../machine/data-secrets.js";
import { machineReconciler } from "../machine/reconcile-machine.js";
import { matchesSelector } from "../machine/label-selector.js";
import { CONSUMER_KIND, rejectionOf } from "../machine/select-host.js";
import { INFRASTRUCTURE_GROUP, Label } from "../../api/index.js";

export interface ClusterControllersOptions {
  readonly manager: Manager;
  /** Keys reconciled at once, per controller. @default 4 */
  readonly concurrency?: number;
}

export const CLUSTER_CONTROLLER = "anvilcluster";
export const MACHINE_CONTROLLER = "anvilmachine";

export function registerClusterControllers({ manager, concurrency }: ClusterControllersOptions): void {
  const anvilClusters = manager.informer<AnvilCluster>(AnvilClusterRef);
  const anvilMachines = manager.informer<AnvilMachine>(AnvilMachineRef);
  const clusters = manager.informer<CapiCluster>(CapiClusterRef);
  const machines = manager.informer<CapiMachine>(CapiMachineRef);
  const hosts = manager.informer<BareMetalHost>(BareMetalHostRef);
  const nsOf = (o: { metadata?: { namespace?: string } }): string => o.metadata?.namespace ?? "";

  manager
    .addController<AnvilCluster>({
      name: CLUSTER_CONTROLLER,
      for: anvilClusters,
      ...(concurrency ? { concurrency } : {}),
      reconcile: clusterReconciler({ client: manager.client(AnvilClusterRef), cache: anvilClusters, clusters, hosts, machines: anvilMachines }),
    })
    // spec.paused, the endpoint and the owner come from the Cluster.
    .watches(clusters, (c) => {
      const ref = c.spec?.infrastructureRef;
      return ref && refersTo(ref, INFRASTRUCTURE_GROUP, "AnvilCluster", ref.name ?? "") ? [`${nsOf(c)}/${ref.name ?? ""}`] : [];
    })
    // A host's failure-domain label feeds status.failureDomains (old and new labels both reach here).
    .watches(hosts, (h) => (h.metadata.labels?.[Label.FailureDomain] ? anvilClusters.list((ac) => nsOf(ac) === nsOf(h)).map(keyOf) : []));

  manager
    .addController<AnvilMachine>({
      name: MACHINE_CONTROLLER,
      for: anvilMachines,
      ...(concurrency ? { concurrency } : {}),
      reconcile: machineReconciler({
        client: manager.client(AnvilMachineRef),
        cache: anvilMachines,
        hostClient: manager.client(BareMetalHostRef),
        hosts,
        machines,
        clusters,
        secrets: manager.client<Secret>(SecretKind),
        events: manager.eventRecorder("infrastructure.cluster.x-k8s.io/anvil-machine-controller"),
      }),
    })
    // Owner reference, bootstrap data and failure domain come from the Machine.
    .watches(machines, (m) => {
      const ref = m.spec?.infrastructureRef;
      return ref && refersTo(ref, INFRASTRUCTURE_GROUP, "AnvilMachine", ref.name ?? "") ? [`${nsOf(m)}/${ref.name ?? ""}`] : [];
    })
    // Pausing and infrastructure readiness come from the Cluster.
    .watches(clusters, (c) => anvilMachines.list((am) => nsOf(am) === nsOf(c) && am.metadata.labels?.[Label.ClusterName] === c.metadata.name).map(keyOf))
    // A host's progress wakes its consumer; a free host wakes the machines
    // still looking whose hostSelector it matches (only those: a machine that
    // could use a free host is not waiting for long, so free hosts of other
    // pools never cause a storm of lists).
    .watches(hosts, (h) => {
      const ref = h.spec.consumerRef;
      if (ref?.kind === CONSUMER_KIND && ref.name) return [`${ref.namespace || nsOf(h)}/${ref.name}`];
      if (rejectionOf(h) !== undefined) return [];
      return anvilMachines
        .list((am) => nsOf(am) === nsOf(h) && !am.status?.hostRef && am.metadata.deletionTimestamp === undefined && matchesSelector(h.metadata.labels, am.spec.hostSelector))
        .map(keyOf);
    });
}
