/**
 * What an AnvilCluster's status should say, as pure functions: the endpoint
 * check and the failure domains found on host labels. The reconciler in
 * reconcile-cluster.ts only reads objects and writes what these return.
 */
import { ConditionReason, Label, type APIEndpoint, type BareMetalHost, type FailureDomain } from "../../api/index.js";

export type EndpointVerdict =
  | { readonly ok: true; readonly endpoint: APIEndpoint; readonly source: "AnvilCluster" | "Cluster" }
  | { readonly ok: false; readonly reason: ConditionReason; readonly message: string };

/**
 * The endpoint the workload cluster's API server is reached at. The
 * AnvilCluster's own wins; else the Cluster's (CAPI lets a user set it there
 * and the contract then asks the infrastructure not to). Bare metal has no
 * load balancer to create, so an endpoint is all "provisioned" means.
 */
export function checkEndpoint(own: Partial<APIEndpoint> | undefined, fromCluster: Partial<APIEndpoint> | undefined): EndpointVerdict {
  const given = isSet(own) ? { ep: own, source: "AnvilCluster" as const } : isSet(fromCluster) ? { ep: fromCluster, source: "Cluster" as const } : undefined;
  if (!given) {
    return {
      ok: false,
      reason: ConditionReason.WaitingForControlPlaneEndpoint,
      message: "spec.controlPlaneEndpoint is not set (neither on the AnvilCluster nor on the Cluster)",
    };
  }
  const host = typeof given.ep.host === "string" ? given.ep.host.trim() : "";
  const port = given.ep.port;
  if (host === "" || /\s/.test(host)) {
    return { ok: false, reason: ConditionReason.InvalidControlPlaneEndpoint, message: `${given.source} controlPlaneEndpoint.host must be a DNS name or IP address` };
  }
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
    return { ok: false, reason: ConditionReason.InvalidControlPlaneEndpoint, message: `${given.source} controlPlaneEndpoint.port must be an integer from 1 to 65535, got ${String(port)}` };
  }
  return { ok: true, endpoint: { host, port }, source: given.source };
}

function isSet(ep: Partial<APIEndpoint> | undefined): ep is Partial<APIEndpoint> {
  return ep !== undefined && ((ep.host ?? "") !== "" || (ep.port ?? 0) !== 0);
}

/** The schema's cap on status.failureDomains. */
export const MAX_FAILURE_DOMAINS = 100;

/**
 * One failure domain per distinct value of the hosts' failure-domain label,
 * sorted by name so the status does not churn. Every domain may hold control
 * plane machines: a host label cannot say otherwise, and KCP spreads over
 * domains with controlPlane=true only.
 */
export function failureDomainsFrom(hosts: readonly BareMetalHost[]): FailureDomain[] {
  const names = new Set<string>();
  for (const h of hosts) {
    const fd = h.metadata.labels?.[Label.FailureDomain];
    if (fd && h.metadata.deletionTimestamp === undefined) names.add(fd);
  }
  return [...names]
    .sort()
    .slice(0, MAX_FAILURE_DOMAINS)
    .map((name) => ({ name, controlPlane: true }));
}
