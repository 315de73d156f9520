/**
 * An envtest-style Kubernetes control plane: etcd + kube-apiserver started the
 * way controller-runtime's envtest starts them (pkg/internal/testing/
 * controlplane), optionally with kube-controller-manager running only the
 * garbage collector and the namespace controller. Everything lives in one
 * directory that `stop()` removes.
 */
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { makeCa, makeKeyPair, makeLeaf, type CertFiles } from "./certs.js";
import { kubectlFor, type Kubectl } from "./kubectl.js";
import { loadKubeConfig, writeKubeconfig } from "./kubeconfig.js";
import { etcdBinDir, kubeBinDir } from "./peers.js";
import { freeTcpPort } from "./ports.js";
import { probeGet, type ProbeTls } from "./probe.js";
import { startProcess, waitFor, type Supervised } from "./process.js";

export interface ControlPlaneOptions {
  /**
   * Directory for etcd's data, certificates, logs and the kubeconfig. It is
   * created if missing and removed by `stop()`.
   * @default a fresh directory under the OS temp dir
   */
  readonly dir?: string;
  /**
   * Also run kube-controller-manager with only the garbage collector and the
   * namespace controller, for tests that need owner-reference GC or namespace
   * deletion (without it deleted namespaces stay Terminating).
   * @default false
   */
  readonly controllerManager?: boolean;
  /** Give up starting after this long. @default 60000 */
  readonly startTimeoutMs?: number;
  /**
   * Directories of other builds of the binaries (kube-apiserver,
   * kube-controller-manager and kubectl; etcd).
   * @default the cached builds of scripts/peers/kube.sh and etcd.sh
   */
  readonly kubeBinDir?: string;
  readonly etcdBinDir?: string;
}

export interface ControlPlane {
  /** `https://127.0.0.1:<port>` */
  readonly server: string;
  /** Admin kubeconfig (CN=admin, O=system:masters). */
  readonly kubeconfigPath: string;
  readonly dir: string;
  /** Directory of the kubectl used by `kubectl()`; put it on PATH to use it by hand. */
  readonly binDir: string;
  /** kubectl with the admin kubeconfig. */
  readonly kubectl: Kubectl;
  /** A fresh `@kubernetes/client-node` config for the admin user. */
  kubeConfig(): KubeConfig;
  /** Milliseconds from the call to ready, per phase and in total. */
  readonly timings: Readonly<Record<"certs" | "etcd" | "apiserver" | "controllerManager" | "total", number>>;
  readonly processes: readonly Supervised[];
  /** Kills every process and removes `dir`. Idempotent. */
  stop(): Promise<void>;
}

/** Starting failed; the message carries the failing peer's log tail. */
export class ControlPlaneError extends Error {
  readonly code = "CONTROL_PLANE_START_FAILED";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ControlPlaneError";
  }
}

interface Certs {
  readonly serverCa: CertFiles;
  readonly serving: CertFiles;
  readonly clientCa: CertFiles;
  readonly admin: CertFiles;
  readonly sa: { keyFile: string; publicKeyFile: string };
}

async function makeCerts(dir: string): Promise<Certs> {
  const serverCa = await makeCa(dir, "server-ca", "anvil-test-server-ca");
  const clientCa = await makeCa(dir, "client-ca", "anvil-test-client-ca");
  const [serving, admin, sa] = await Promise.all([
    makeLeaf(dir, "apiserver", serverCa, {
      commonName: "kube-apiserver",
      dnsNames: ["localhost"],
      ipAddresses: ["127.0.0.1"],
      usage: "server",
    }),
    // Kubernetes maps a client cert's CN to the user and each O to a group;
    // system:masters is bound to cluster-admin by the default RBAC policy.
    makeLeaf(dir, "admin", clientCa, { commonName: "admin", organizations: ["system:masters"], usage: "client" }),
    makeKeyPair(dir, "sa-signer"),
  ]);
  return { serverCa, serving, clientCa, admin, sa };
}

/** etcd flags as envtest passes them; --unsafe-no-fsync because test data need not survive a crash. */
export function etcdArgs(o: { dataDir: string; clientPort: number; peerPort: number }): string[] {
  const client = `http://127.0.0.1:${o.clientPort}`;
  return [
    `--data-dir=${o.dataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=http://127.0.0.1:${o.peerPort}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${o.peerPort}`,
    `--initial-cluster=default=http://127.0.0.1:${o.peerPort}`,
    "--unsafe-no-fsync=true",
    "--log-level=warn",
  ];
}

/** kube-apiserver flags as envtest (>= 1.24) passes them. */
export function apiserverArgs(o: { etcdUrl: string; port: number; certDir: string; certs: Certs }): string[] {
  return [
    `--etcd-servers=${o.etcdUrl}`,
    `--cert-dir=${o.certDir}`,
    `--tls-cert-file=${o.certs.serving.certFile}`,
    `--tls-private-key-file=${o.certs.serving.keyFile}`,
    `--secure-port=${o.port}`,
    "--bind-address=127.0.0.1",
    "--service-cluster-ip-range=10.0.0.0/24",
    "--allow-privileged=true",
    // No controller creates service-account tokens here, so the admission
    // plugin that demands one would refuse every Pod (envtest does the same).
    "--disable-admission-plugins=ServiceAccount",
    "--authorization-mode=RBAC",
    `--service-account-issuer=https://127.0.0.1:${o.port}/`,
    `--service-account-key-file=${o.certs.sa.publicKeyFile}`,
    `--service-account-signing-key-file=${o.certs.sa.keyFile}`,
    `--client-ca-file=${o.certs.clientCa.certFile}`,
  ];
}

export function controllerManagerArgs(o: { kubeconfig: string; port: number; certDir: string }): string[] {
  return [
    `--kubeconfig=${o.kubeconfig}`,
    `--authentication-kubeconfig=${o.kubeconfig}`,
    `--authorization-kubeconfig=${o.kubeconfig}`,
    "--controllers=garbage-collector-controller,namespace-controller",
    "--leader-elect=false",
    "--bind-address=127.0.0.1",
    `--secure-port=${o.port}`,
    `--cert-dir=${o.certDir}`,
  ];
}

/**
 * Starts etcd, kube-apiserver and (optionally) kube-controller-manager. A
 * free port can be taken by another process between our probe and the peer's
 * bind, so a start that failed with "address already in use" is retried.
 */
export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (attempt >= 3 || !(err instanceof ControlPlaneError) || !/address already in use/.test(err.message)) throw err;
    }
  }
}

async function startOnce(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const t0 = Date.now();
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  const dir = opts.dir ?? (await mkdtemp(path.join(os.tmpdir(), "anvil-cp-")));
  const processes: Supervised[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await Promise.all([...processes].reverse().map((p) => p.stop()));
      await rm(dir, { recursive: true, force: true });
    })());

  try {
    const certDir = path.join(dir, "certs");
    const logDir = path.join(dir, "logs");
    const dataDir = path.join(dir, "etcd");
    await Promise.all([certDir, logDir, dataDir].map((d) => mkdir(d, { recursive: true })));
    const kubeBin = opts.kubeBinDir ?? kubeBinDir();
    const etcdBin = opts.etcdBinDir ?? etcdBinDir();
    const [etcdClientPort, etcdPeerPort, apiPort] = (await distinctPorts(3)) as [number, number, number];

    // etcd needs no certificates: start it first and make them meanwhile.
    const etcd = startProcess({
      name: "etcd",
      command: path.join(etcdBin, "etcd"),
      args: etcdArgs({ dataDir, clientPort: etcdClientPort, peerPort: etcdPeerPort }),
      logFile: path.join(logDir, "etcd.log"),
    });
    processes.push(etcd);
    const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
    const certs = await makeCerts(certDir);
    const tCerts = Date.now() - t0;
    await waitFor("etcd /health", async () => (await probeGet(`${etcdUrl}/health`)).body.includes('"health":"true"'), {
      timeoutMs,
      process: etcd,
    });
    const tEtcd = Date.now() - t0;

    const server = `https://127.0.0.1:${apiPort}`;
    const kubeconfigPath = path.join(dir, "admin.kubeconfig");
    await writeKubeconfig(kubeconfigPath, { server, serverCa: certs.serverCa, client: certs.admin });
    const apiserver = startProcess({
      name: "kube-apiserver",
      command: path.join(kubeBin, "kube-apiserver"),
      args: apiserverArgs({ etcdUrl, port: apiPort, certDir, certs }),
      logFile: path.join(logDir, "kube-apiserver.log"),
    });
    processes.push(apiserver);
    const tls: ProbeTls = {
      ca: certs.serverCa.certPem,
      cert: certs.admin.certPem,
      key: await readFile(certs.admin.keyFile, "utf8"),
    };
    await waitFor("kube-apiserver /healthz", async () => (await probeGet(`${server}/healthz`, { tls })).status === 200, {
      timeoutMs,
      intervalMs: 200,
      process: apiserver,
    });
    // /healthz turns ok before the bootstrap controller has created the
    // default namespace; objects created earlier would be refused.
    await waitFor(
      "namespace default",
      async () => (await probeGet(`${server}/api/v1/namespaces/default`, { tls })).status === 200,
      { timeoutMs, intervalMs: 200, process: apiserver },
    );
    const tApi = Date.now() - t0;

    if (opts.controllerManager === true) {
      const kcmPort = await freeTcpPort();
      const kcmCertDir = path.join(dir, "kcm-certs");
      await mkdir(kcmCertDir, { recursive: true });
      const kcm = startProcess({
        name: "kube-controller-manager",
        command: path.join(kubeBin, "kube-controller-manager"),
        args: controllerManagerArgs({ kubeconfig: kubeconfigPath, port: kcmPort, certDir: kcmCertDir }),
        logFile: path.join(logDir, "kube-controller-manager.log"),
      });
      processes.push(kcm);
      await waitFor(
        "kube-controller-manager /healthz",
        async () => (await probeGet(`https://127.0.0.1:${kcmPort}/healthz`)).status === 200,
        { timeoutMs, intervalMs: 200, process: kcm },
      );
    }
    const total = Date.now() - t0;

    return {
      server,
      kubeconfigPath,
      dir,
      binDir: kubeBin,
      kubectl: kubectlFor(kubeBin, kubeconfigPath),
      kubeConfig: () => loadKubeConfig(kubeconfigPath),
      timings: {
        certs: tCerts,
        etcd: tEtcd,
        apiserver: tApi,
        controllerManager: opts.controllerManager === true ? total - tApi : 0,
        total,
      },
      processes,
      stop,
    };
  } catch (err) {
    await stop();
    throw err instanceof ControlPlaneError ? err : new ControlPlaneError(`control plane did not start: ${errorText(err)}`, { cause: err });
  }
}

/** `n` distinct free ports: asking the kernel n times may hand back one twice once it is closed. */
async function distinctPorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freeTcpPort());
  return [...ports];
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
