/**
 * What a provisioned host's OS does with the config drive Anvil wrote, for
 * sim-agent fleets: after a successful deploy, once the firmware boots the
 * disk, cloud-init runs CAPI's kubeadm bootstrap data and the kubelet
 * registers. Played against the workload API server
 * (workload-cluster.ts): user data running `kubeadm init` uploads the
 * kubeadm-config ConfigMap first; then the Node is registered with the name
 * and provider ID cloud-init renders from the meta-data (`local-hostname`,
 * `providerid`: the template's `{{ ds.meta_data.* }}`), after `osBootMs` (an
 * OS does not come up the instant the firmware hands over).
 *
 * One registration per deploy: a wiped host's OS is gone and never
 * re-registers, and a Node CAPI deleted stays deleted. The loop is bounded by
 * `stop()`; errors are kept (`errors`) for the test to assert on, not thrown
 * into the void.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { SimAgent } from "./sim-agent.js";
import type { WorkloadCluster } from "./workload-cluster.js";

export interface SimKubeletOptions {
  readonly sim: SimAgent;
  readonly workload: WorkloadCluster;
  readonly kubernetesVersion: string;
  readonly controlPlaneEndpoint: string;
  readonly podSubnet: string;
  readonly serviceSubnet: string;
  /** Disk boot to the kubelet's registration. @default 3000 */
  readonly osBootMs?: number;
  /** @default 250 */
  readonly pollMs?: number;
}

export interface Registration {
  readonly at: number;
  readonly mac: string;
  readonly node: string;
  readonly providerID: string;
  readonly init: boolean;
}

export interface SimKubelets {
  readonly registrations: readonly Registration[];
  readonly errors: readonly string[];
  stop(): Promise<void>;
}

export function startSimKubelets(o: SimKubeletOptions): SimKubelets {
  const abort = new AbortController();
  const registrations: Registration[] = [];
  const errors: string[] = [];
  /** Deploys already acted on, keyed `<mac>@<deploy time>`. */
  const handled = new Set<string>();
  let initialized = false;

  const boot = async (mac: string, userData: string, meta: Readonly<Record<string, unknown>>): Promise<void> => {
    const node = meta["local-hostname"];
    const providerID = meta.providerid;
    if (typeof node !== "string" || typeof providerID !== "string") {
      errors.push(`${mac}: meta-data lacks local-hostname or providerid: ${JSON.stringify(Object.keys(meta))}`);
      return;
    }
    // CAPI's kubeadm bootstrap writes `kubeadm init` for the first control-plane machine and `kubeadm join` otherwise.
    const init = /\bkubeadm init\b/.test(userData);
    if (!init && !/\bkubeadm join\b/.test(userData)) {
      errors.push(`${mac}: user data runs neither kubeadm init nor kubeadm join`);
      return;
    }
    if (init) {
      await o.workload.kubeadmInit({ kubernetesVersion: o.kubernetesVersion, controlPlaneEndpoint: o.controlPlaneEndpoint, podSubnet: o.podSubnet, serviceSubnet: o.serviceSubnet });
      initialized = true;
    } else if (!initialized) {
      // kubeadm join keeps retrying discovery until the control plane answers; a real join cannot precede init.
      errors.push(`${mac}: kubeadm join before any kubeadm init`);
    }
    await o.workload.registerNode({ name: node, providerID, controlPlane: init || /\bcontrolPlane:/.test(userData), kubeletVersion: o.kubernetesVersion });
    registrations.push({ at: Date.now(), mac, node, providerID, init });
  };

  const loop = (async () => {
    const pending = new Map<string, number>();
    while (!abort.signal.aborted) {
      for (const [mac, deploys] of o.sim.deploys) {
        const d = [...deploys].reverse().find((x) => x.ok);
        if (d === undefined) continue;
        const key = `${mac}@${d.at}`;
        if (handled.has(key)) continue;
        const diskBoot = o.sim.events.find((e) => e.mac === mac && e.kind === "boot" && e.target === "local-disk" && e.at > d.at);
        if (diskBoot === undefined) continue;
        const due = pending.get(key) ?? diskBoot.at + (o.osBootMs ?? 3000);
        pending.set(key, due);
        if (Date.now() < due) continue;
        handled.add(key);
        pending.delete(key);
        try {
          await boot(mac, d.userData ?? "", d.metaData ?? {});
        } catch (err) {
          errors.push(`${mac}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      await sleep(o.pollMs ?? 250, undefined, { signal: abort.signal }).catch(() => undefined);
    }
  })();

  return {
    registrations,
    errors,
    async stop() {
      abort.abort();
      await loop;
    },
  };
}
