/**
 * Cluster API's managers (v1.14) as local processes against a local control
 * plane: the core manager and, for kubeadm-based cluster templates, the
 * kubeadm bootstrap and control-plane managers. Each gets its component's
 * CRDs installed and its webhooks served from the process on 127.0.0.1 with
 * our own CA; `clusterctl` comes from the same build.
 */
import { execFile } from "node:child_process";
import { mkdir, readFile, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments, stringify } from "yaml";
import { makeCa, makeLeaf } from "./certs.js";
import { KubectlError } from "./kubectl.js";
import type { ControlPlane } from "./control-plane.js";
import {
  isWebhookConfiguration,
  pointWebhookConfigurationAt,
  withLocalConversion,
  type LocalWebhookTarget,
  type Manifest,
} from "./local-webhooks.js";
import { capiBinDir } from "./peers.js";
import { freeTcpPorts } from "./ports.js";
import { probeGet } from "./probe.js";
import { startProcess, waitFor, type Supervised } from "./process.js";

const run = promisify(execFile);

/** A CAPI component: its config tree under `config/` and its manager binary. */
export type CapiComponent = "core" | "bootstrap-kubeadm" | "control-plane-kubeadm";

const MANAGER_BINARY: Readonly<Record<CapiComponent, string>> = {
  core: "capi-manager",
  "bootstrap-kubeadm": "kubeadm-bootstrap-manager",
  "control-plane-kubeadm": "kubeadm-control-plane-manager",
};

export interface CapiCoreOptions {
  /**
   * `--feature-gates` of the manager, e.g. `{ ClusterTopology: true }` for
   * ClusterClass. @default CAPI's own defaults
   */
  readonly featureGates?: Readonly<Record<string, boolean>>;
  /** Give up starting after this long. @default 120000 */
  readonly startTimeoutMs?: number;
  /** Another build's binaries. @default the cached build of scripts/peers/capi.sh */
  readonly binDir?: string;
  /** Another copy of the component's config tree. @default `<binDir>/../config/<component>` */
  readonly configDir?: string;
}

export interface CapiCore {
  readonly component: CapiComponent;
  /** Directory of capi-manager, clusterctl and the kubeadm managers. */
  readonly binDir: string;
  /** The component's config tree (CRDs, webhooks, kustomize bases). */
  readonly configDir: string;
  /** Where the API server calls the webhooks, and the CA it trusts for them. */
  readonly webhook: LocalWebhookTarget;
  /** Names of the installed CRDs. */
  readonly crdNames: readonly string[];
  readonly process: Supervised;
  /** Milliseconds from the call to the manager answering its webhooks. */
  readonly startupMs: number;
  /** clusterctl against the control plane; the version check is off (no internet). */
  clusterctl(args: readonly string[]): Promise<{ stdout: string; stderr: string }>;
  /** Stops the manager, removes its webhook configurations and its files. Idempotent. */
  stop(): Promise<void>;
}

export class CapiCoreError extends Error {
  readonly code = "CAPI_MANAGER_START_FAILED";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CapiCoreError";
  }
}


async function readManifests(file: string): Promise<Manifest[]> {
  const docs = parseAllDocuments(await readFile(file, "utf8"));
  return docs.map((d) => d.toJSON() as Manifest | null).filter((m): m is Manifest => m !== null && typeof m === "object");
}

const toYaml = (ms: readonly Manifest[]): string => ms.map((m) => `---\n${stringify(m)}`).join("");

/** The CAPI core manager with CAPI's core CRDs and webhooks. */
export function startCapiCore(cp: ControlPlane, opts: CapiCoreOptions = {}): Promise<CapiCore> {
  return startCapiManager(cp, "core", opts);
}

/**
 * The kubeadm bootstrap and control-plane managers (KubeadmConfig[Template],
 * KubeadmControlPlane[Template]). They watch core kinds: start the core first.
 */
export async function startKubeadmProviders(cp: ControlPlane, opts: CapiCoreOptions = {}): Promise<CapiCore[]> {
  const bootstrap = await startCapiManager(cp, "bootstrap-kubeadm", opts);
  try {
    return [bootstrap, await startCapiManager(cp, "control-plane-kubeadm", opts)];
  } catch (err) {
    await bootstrap.stop();
    throw err;
  }
}

export async function startCapiManager(cp: ControlPlane, component: CapiComponent, opts: CapiCoreOptions = {}): Promise<CapiCore> {
  const t0 = Date.now();
  const timeoutMs = opts.startTimeoutMs ?? 120_000;
  const binDir = opts.binDir ?? capiBinDir();
  const configDir = opts.configDir ?? path.resolve(binDir, "../config", component);
  // Keeps our renamed webhook configurations apart from those of the other managers.
  const namePrefix = `capi-${component}-`;
  const [webhookPort, healthPort, diagPort] = (await freeTcpPorts(3)) as [number, number, number];
  const dir = path.join(cp.dir, `capi-${component}-${webhookPort}`);
  let manager: Supervised | undefined;
  let webhookConfigs: { kind: string; name: string }[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await manager?.stop();
      // A webhook configuration pointing at a dead server would make the API
      // server refuse every later write of those kinds.
      for (const { kind, name } of webhookConfigs) {
        await cp.kubectl(["delete", kind, name, "--ignore-not-found", "--wait=false"], { timeoutMs: 10_000 }).catch(() => undefined);
      }
      await rm(dir, { recursive: true, force: true });
    })());

  try {
    const certDir = path.join(dir, "certs");
    await mkdir(certDir, { recursive: true });
    const ca = await makeCa(dir, "webhook-ca", `anvil-test-capi-${component}-webhook-ca`);
    // controller-runtime reads --webhook-cert-dir/tls.crt and tls.key.
    await makeLeaf(certDir, "tls", ca, {
      commonName: "capi-webhook",
      dnsNames: ["localhost"],
      ipAddresses: ["127.0.0.1"],
      usage: "server",
    });
    const webhook: LocalWebhookTarget = { baseUrl: `https://127.0.0.1:${webhookPort}`, caPem: ca.certPem };

    const crdDir = path.join(configDir, "crd/bases");
    const crds: Manifest[] = [];
    for (const f of (await readdir(crdDir)).filter((n) => n.endsWith(".yaml")).sort()) {
      for (const m of await readManifests(path.join(crdDir, f))) crds.push(withLocalConversion(m, webhook));
    }
    const crdNames = crds.map((c) => c.metadata?.name ?? "").filter((n) => n !== "");
    // Server-side apply: CAPI's CRDs exceed the 256 KiB annotation that
    // client-side apply would store the whole object in.
    await cp.kubectl(["apply", "--server-side", "--force-conflicts", "--field-manager=anvil-e2e", "-f", "-"], { input: toYaml(crds) });
    await cp.kubectl(["wait", "--for=condition=Established", "--timeout=60s", ...crdNames.map((n) => `crd/${n}`)], { timeoutMs: 70_000 });

    const hooks = (await readManifests(path.join(configDir, "webhook/manifests.yaml")))
      .filter(isWebhookConfiguration)
      .map((m) => pointWebhookConfigurationAt(m, webhook, namePrefix));
    webhookConfigs = hooks.map((h) => ({ kind: (h.kind ?? "").toLowerCase(), name: h.metadata?.name ?? "" }));
    await cp.kubectl(["apply", "--server-side", "--force-conflicts", "--field-manager=anvil-e2e", "-f", "-"], { input: toYaml(hooks) });

    const gates = Object.entries(opts.featureGates ?? {}).map(([k, v]) => `${k}=${String(v)}`);
    manager = startProcess({
      name: MANAGER_BINARY[component],
      command: path.join(binDir, MANAGER_BINARY[component]),
      args: [
        `--kubeconfig=${cp.kubeconfigPath}`,
        `--webhook-port=${webhookPort}`,
        `--webhook-cert-dir=${certDir}`,
        `--health-addr=127.0.0.1:${healthPort}`,
        `--diagnostics-address=127.0.0.1:${diagPort}`,
        "--insecure-diagnostics",
        "--leader-elect=false",
        ...(gates.length > 0 ? [`--feature-gates=${gates.join(",")}`] : []),
      ],
      logFile: path.join(dir, `${MANAGER_BINARY[component]}.log`),
    });
    const proc = manager;
    await waitFor(`${MANAGER_BINARY[component]} /readyz`, async () => (await probeGet(`http://127.0.0.1:${healthPort}/readyz`)).status === 200, {
      timeoutMs,
      intervalMs: 250,
      process: proc,
    });
    // Ready only counts once the API server itself gets through to the
    // webhooks: a server-side dry run passes the mutating and validating ones.
    // A webhook's denial proves it was reached (the control-plane one denies
    // templates unless ClusterTopology is on). "is invalid" means the probe
    // object itself is wrong: waiting will not change that.
    const probe = webhookProbe(component);
    let refusal: KubectlError | undefined;
    await waitFor("the API server to reach the webhooks", async () => {
      try {
        await cp.kubectl(["create", "--dry-run=server", "-f", "-"], { input: stringify(probe), timeoutMs: 10_000 });
      } catch (err) {
        if (!(err instanceof KubectlError)) throw err;
        if (/ is invalid: /.test(err.stderr)) refusal = err;
        else if (!/admission webhook "[^"]+" denied the request/.test(err.stderr)) throw err;
      }
      return true;
    }, { timeoutMs, intervalMs: 500, process: proc });
    if (refusal !== undefined) throw new CapiCoreError(`the webhook probe ${String(probe.kind)} was refused: ${refusal.stderr.trim()}`);

    return {
      component,
      binDir,
      configDir,
      webhook,
      crdNames,
      process: proc,
      startupMs: Date.now() - t0,
      clusterctl: async (args) => {
        const env = { ...process.env, KUBECONFIG: cp.kubeconfigPath, CLUSTERCTL_DISABLE_VERSIONCHECK: "true" };
        const r = await run(path.join(binDir, "clusterctl"), [...args], { env, maxBuffer: 16 << 20 });
        return { stdout: r.stdout, stderr: r.stderr };
      },
      stop,
    };
  } catch (err) {
    const tail = manager ? `\n${manager.tail(30)}` : "";
    await stop();
    throw new CapiCoreError(`CAPI ${component} manager did not start: ${err instanceof Error ? err.message : String(err)}${tail}`, { cause: err });
  }
}

/** The smallest object of the component's kinds that its webhooks accept. */
function webhookProbe(component: CapiComponent): Manifest {
  const metadata = { name: "webhook-probe", namespace: "default" };
  switch (component) {
    case "core":
      // The validating webhook wants one of infrastructureRef, controlPlaneRef or topology.
      return {
        apiVersion: "cluster.x-k8s.io/v1beta2",
        kind: "Cluster",
        metadata,
        spec: { infrastructureRef: { apiGroup: "infrastructure.cluster.x-k8s.io", kind: "ProbeCluster", name: "probe" } },
      };
    case "bootstrap-kubeadm":
      // The schemas want every spec non-empty (minProperties: 1).
      return {
        apiVersion: "bootstrap.cluster.x-k8s.io/v1beta2",
        kind: "KubeadmConfigTemplate",
        metadata,
        spec: { template: { spec: { preKubeadmCommands: ["true"] } } },
      };
    case "control-plane-kubeadm":
      return {
        apiVersion: "controlplane.cluster.x-k8s.io/v1beta2",
        kind: "KubeadmControlPlaneTemplate",
        metadata,
        spec: { template: { spec: { kubeadmConfigSpec: { preKubeadmCommands: ["true"] } } } },
      };
  }
}

/**
 * clusterctl installed CAPI's CRDs converting through in-cluster Services
 * whose pods never run here; the local managers re-point conversion at
 * 127.0.0.1 with a server-side apply, which would merge `url` beside
 * `service` (the API server refuses both), so conversion is reset first.
 * Call it before any CAPI object exists.
 */
export async function resetCapiConversion(cp: ControlPlane): Promise<void> {
  for (const provider of ["cluster-api", "bootstrap-kubeadm", "control-plane-kubeadm"]) {
    const { stdout } = await cp.kubectl(["get", "crd", "-l", `cluster.x-k8s.io/provider=${provider}`, "-o", "name"]);
    for (const crd of stdout.split("\n").filter((l) => l.trim() !== "")) {
      await cp.kubectl(["patch", crd, "--type=json", "-p", JSON.stringify([{ op: "replace", path: "/spec/conversion", value: { strategy: "None" } }])]);
    }
  }
}
