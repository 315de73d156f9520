/**
 * A CAPI management cluster without pods: a local control plane (with the
 * garbage collector and namespace controller of kube-controller-manager, as
 * any real cluster has), `clusterctl init` of CAPI core, kubeadm bootstrap,
 * kubeadm control plane and Anvil from the offline repository
 * (clusterctl-repo.ts), then CAPI's three managers as local processes with
 * their webhooks and conversion served on 127.0.0.1 (capi.ts) in place of the
 * in-cluster ones clusterctl installed, whose pods never run.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { resetCapiConversion, startCapiCore, startKubeadmProviders, type CapiCore } from "./capi.js";
import { ANVIL_VERSION, buildClusterctlRepo, type ClusterctlRepo } from "./clusterctl-repo.js";
import { startControlPlane, type ControlPlane } from "./control-plane.js";
import { capiBinDir } from "./peers.js";

const run = promisify(execFile);

export interface CapiManagement {
  readonly cp: ControlPlane;
  readonly repo: ClusterctlRepo;
  readonly managers: readonly CapiCore[];
  /** Milliseconds per phase. */
  readonly timings: Readonly<Record<"controlPlane" | "repo" | "init" | "managers", number>>;
  /** clusterctl with the repository's config, against the management cluster; output is stdout + stderr. */
  clusterctl(args: readonly string[], env?: Readonly<Record<string, string>>): Promise<string>;
  /** Stops the managers, then the control plane. Idempotent. */
  stop(): Promise<void>;
  /** Starts CAPI's managers when `startManagers: false` held them back (a move target); no-op once started. */
  startManagers(): Promise<void>;
  /** Stops CAPI's managers only (a move source after the move); the control plane keeps serving. */
  stopManagers(): Promise<void>;
}

export async function startCapiManagement(o: {
  dir: string;
  variables?: Readonly<Record<string, string>>;
  /** @default true; false leaves CAPI's managers to `startManagers()` (a `clusterctl move` target) */
  startManagers?: boolean;
}): Promise<CapiManagement> {
  const timings = { controlPlane: 0, repo: 0, init: 0, managers: 0 };
  let t = Date.now();
  const lap = (k: keyof typeof timings): void => {
    timings[k] = Date.now() - t;
    t = Date.now();
  };
  const cp = await startControlPlane({ dir: path.join(o.dir, "management"), controllerManager: true });
  const managers: CapiCore[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      try {
        for (const m of [...managers].reverse()) await m.stop();
      } finally {
        await cp.stop();
      }
    })());
  try {
    lap("controlPlane");
    const repo = await buildClusterctlRepo({ dir: path.join(o.dir, "clusterctl-repo"), ...(o.variables ? { variables: o.variables } : {}) });
    lap("repo");
    const clusterctl = async (args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<string> => {
      const r = await run(path.join(capiBinDir(), "clusterctl"), [...args, "--config", repo.configPath], {
        env: { ...process.env, KUBECONFIG: cp.kubeconfigPath, CLUSTERCTL_DISABLE_VERSIONCHECK: "true", ...env },
        maxBuffer: 16 << 20,
        timeout: 300_000,
      });
      return r.stdout + r.stderr;
    };
    await clusterctl([
      "init",
      "--core", `cluster-api:${repo.capiVersion}`,
      "--bootstrap", `kubeadm:${repo.capiVersion}`,
      "--control-plane", `kubeadm:${repo.capiVersion}`,
      "--infrastructure", `anvil:${ANVIL_VERSION}`,
    ]);
    lap("init");
    const { stdout } = await cp.kubectl(["get", "mutatingwebhookconfigurations,validatingwebhookconfigurations", "-l", "cluster.x-k8s.io/provider", "-o", "name"]);
    const stale = stdout.split("\n").filter((l) => l.trim() !== "");
    if (stale.length > 0) await cp.kubectl(["delete", ...stale]);
    await resetCapiConversion(cp);
    let started = false;
    const startManagers = async (): Promise<void> => {
      if (started) return;
      started = true;
      managers.push(await startCapiCore(cp));
      managers.push(...(await startKubeadmProviders(cp)));
    };
    const stopManagers = async (): Promise<void> => {
      for (const m of [...managers].reverse()) await m.stop();
    };
    if (o.startManagers !== false) await startManagers();
    lap("managers");
    return { cp, repo, managers, timings, clusterctl, stop, startManagers, stopManagers };
  } catch (err) {
    await stop();
    throw err;
  }
}
