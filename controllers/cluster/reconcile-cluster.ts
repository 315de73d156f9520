/**
 * The AnvilCluster reconciler (CAPI v1beta2 InfraCluster contract, book:
 * developer/providers/contracts/infra-cluster): wait for the owner Cluster,
 * honour pausing, check the control plane endpoint, publish failure domains
 * from host labels, then report `initialization.provisioned` and `Ready`.
 */
import {
  CapiAnnotation,
  ConditionReason,
  ConditionType,
  Finalizer,
  Label,
  type AnvilCluster,
  type AnvilMachine,
  type BareMetalHost,
} from "../../api/index.js";
import {
  objectReconciler,
  type Informer,
  type ReconcileOutcome,
  type Reconciler,
  type ResourceClient,
  type Scope,
} from "../runtime/index.js";
import { capiOwnerName, isPaused, type CapiCluster } from "./capi-objects.js";
import { checkEndpoint, failureDomainsFrom } from "./cluster-status.js";
import { setObjectCondition } from "./object-condition.js";

export interface ClusterReconcilerDeps {
  readonly client: ResourceClient<AnvilCluster>;
  readonly cache: Informer<AnvilCluster>;
  readonly clusters: Informer<CapiCluster>;
  readonly hosts: Informer<BareMetalHost>;
  readonly machines: Informer<AnvilMachine>;
  readonly now?: () => Date;
}

/** While machines of the cluster remain, deletion waits this long between looks. */
export const CLUSTER_DELETE_RECHECK_MS = 5_000;

export function clusterReconciler(d: ClusterReconcilerDeps): Reconciler {
  const ownerOf = (ac: AnvilCluster): CapiCluster | undefined => {
    const name = capiOwnerName(ac, "Cluster");
    return name ? d.clusters.get(`${ac.metadata.namespace ?? ""}/${name}`) : undefined;
  };
  const cond = (ac: AnvilCluster, type: string, ok: boolean, reason: string, message: string): void =>
    setObjectCondition(ac, type, ok, reason, message, d.now?.());

  const inner = objectReconciler<AnvilCluster>({
    client: d.client,
    cache: d.cache,
    finalizer: Finalizer.AnvilCluster,
    isPaused: (ac) => isPaused(ownerOf(ac), ac),
    onPaused: ({ object: ac }) => {
      cond(ac, ConditionType.Paused, true, ConditionReason.Paused, "reconciliation is paused by the Cluster's spec.paused or the cluster.x-k8s.io/paused annotation");
    },
    reconcileNormal: ({ object: ac }: Scope<AnvilCluster>) => Promise.resolve(normal(ac)),
    reconcileDelete: ({ object: ac }: Scope<AnvilCluster>) => Promise.resolve(remove(ac)),
  });

  function normal(ac: AnvilCluster): ReconcileOutcome {
    cond(ac, ConditionType.Paused, false, ConditionReason.NotPaused, "");
    const cluster = ownerOf(ac);
    if (!cluster) {
      const msg = "waiting for the Cluster controller to set the owner reference";
      cond(ac, ConditionType.Ready, false, ConditionReason.WaitingForOwner, msg);
      return { kind: "done" };
    }
    const status = (ac.status ??= {});
    const fds = failureDomainsFrom(d.hosts.list((h) => h.metadata.namespace === ac.metadata.namespace));
    if (fds.length > 0) status.failureDomains = fds;
    else delete status.failureDomains;

    const verdict = checkEndpoint(ac.spec.controlPlaneEndpoint, cluster.spec?.controlPlaneEndpoint);
    if (!verdict.ok) {
      cond(ac, ConditionType.ControlPlaneEndpointReady, false, verdict.reason, verdict.message);
      cond(ac, ConditionType.Ready, false, verdict.reason, verdict.message);
      return { kind: "done" };
    }
    const where = `${verdict.endpoint.host}:${verdict.endpoint.port}`;
    cond(ac, ConditionType.ControlPlaneEndpointReady, true, ConditionReason.ControlPlaneEndpointSet, `${where} (from the ${verdict.source})`);
    // Never reset once true (contract): CAPI reads it only to start provisioning.
    status.initialization = { ...status.initialization, provisioned: true };
    cond(ac, ConditionType.Ready, true, ConditionReason.Ready, `control plane endpoint ${where}; ${fds.length} failure domain(s)`);
    return { kind: "done" };
  }

  function remove(ac: AnvilCluster): ReconcileOutcome {
    // Deleted from this management cluster by clusterctl move (ADR 0019): its machines live on in the target.
    if (CapiAnnotation.DeleteForMove in (ac.metadata.annotations ?? {})) return { kind: "done" };
    // Machines release their hosts on deletion; the cluster's finalizer
    // outlives them so `clusterctl move` and deletion keep their order.
    const name = capiOwnerName(ac, "Cluster") ?? ac.metadata.labels?.[Label.ClusterName];
    const left = name
      ? d.machines.list((m) => m.metadata.namespace === ac.metadata.namespace && m.metadata.labels?.[Label.ClusterName] === name).length
      : 0;
    if (left > 0) {
      cond(ac, ConditionType.Ready, false, ConditionReason.Deleting, `waiting for ${left} AnvilMachine(s) of cluster ${name ?? ""} to be deleted`);
      return { kind: "requeue", afterMs: CLUSTER_DELETE_RECHECK_MS };
    }
    return { kind: "done" };
  }

  return async (key, signal) => {
    // The contract: an InfraCluster another controller manages is left alone.
    const cached = d.cache.get(key);
    if (cached && CapiAnnotation.ManagedBy in (cached.metadata.annotations ?? {})) return { kind: "done" };
    return inner(key, signal);
  };
}
