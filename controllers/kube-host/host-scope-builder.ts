/**
 * Builds the state machine's `HostScope` for one reconcile from the caches:
 * the host (our freshest copy), its credentials Secret (presence and
 * resourceVersion for the machine, values for the BMC factory only), the
 * cached BMC client (its calls releasing the worker slot when the queue
 * gave a context), the limiter and the host's agent port.
 */
import type { BareMetalHost } from "../../api/index.js";
import type { Clock, HostScope, HostTiming, ProvisioningLimiter } from "../host/index.js";
import { keyOf, type Informer, type ReconcileContext } from "../runtime/index.js";
import type { AgentStateStore } from "./agent-state-store.js";
import type { BmcConnections } from "./bmc-connections.js";
import { configDriveFor } from "./config-drive.js";
import { readCredentials } from "./credentials.js";
import { releasedBmc } from "./released-bmc.js";
import { kubeProvisioner } from "./kube-provisioner.js";
import type { Secret } from "./secret.js";

export interface ScopeDeps {
  readonly secrets: Informer<Secret>;
  readonly bmcs: BmcConnections;
  readonly store: AgentStateStore;
  readonly limiter: ProvisioningLimiter;
  readonly timing: HostTiming;
  readonly clock: Clock;
  /** See HostScope.processStartedAt. */
  readonly processStartedAt?: Date;
}

export async function buildHostScope(host: BareMetalHost, d: ScopeDeps, signal?: AbortSignal, ctx?: ReconcileContext): Promise<HostScope> {
  const key = keyOf(host);
  const ns = host.metadata.namespace ?? "";
  const bmcSpec = host.spec.bmc;
  const secretName = bmcSpec?.credentialsName ?? "";
  const creds = readCredentials(secretName, secretName === "" ? undefined : d.secrets.get(`${ns}/${secretName}`));
  const address = bmcSpec?.address ?? "";
  let bmc;
  if (creds.values !== undefined && creds.lookup.kind === "present" && address !== "") {
    bmc = await d.bmcs.clientFor(key, {
      address,
      credentials: creds.values,
      version: creds.lookup.version,
      insecure: bmcSpec?.disableCertificateVerification === true,
    });
    if (bmc !== undefined && ctx !== undefined) bmc = releasedBmc(bmc, ctx);
  } else {
    await d.bmcs.forget(key);
  }
  // A deploy waits for its user-data/meta-data/network-data Secrets; the state machine says so in the status.
  const drive = host.spec.image !== undefined ? configDriveFor(host, (k) => d.secrets.get(k)) : undefined;
  return {
    host,
    bmc,
    credentials: creds.lookup,
    clock: d.clock,
    limiter: d.limiter,
    provisioner: kubeProvisioner(d.store, host, signal),
    hostKey: key,
    timing: d.timing,
    ...(d.processStartedAt !== undefined ? { processStartedAt: d.processStartedAt } : {}),
    ...(drive?.ok === false ? { deployInputsProblem: drive.reason } : {}),
  };
}
