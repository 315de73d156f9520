/**
 * The workload cluster's API server for CAPI flows without machines that
 * really run Kubernetes: a second local etcd + kube-apiserver, started on the
 * Cluster's `controlPlaneEndpoint` (127.0.0.1:<port>) with the identity
 * KubeadmControlPlane generated for it. Its serving certificate is signed by
 * the `<cluster>-ca` Secret's CA and `--client-ca-file` is that CA, as
 * kubeadm init sets a control plane up from the same CA; so the
 * `<cluster>-kubeconfig` Secret KCP wrote (a client certificate from that CA)
 * works unchanged, and CAPI's managers reach it through their ClusterCache.
 *
 * What the hosts would do once booted is offered as steps a test calls:
 * `kubeadmInit()` uploads the `kube-system/kubeadm-config` ConfigMap that
 * kubeadm init uploads (KCP reads its presence as "control plane
 * initialized": controlplane/kubeadm/pkg/workload_cluster.go HasKubeadmConfig
 * in CAPI v1.14), and `registerNode()` creates the Node a kubelet registers,
 * with the provider ID and name it was given, Ready. No CAPI status is
 * written here: CAPI's controllers find these objects and set their own.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { stringify } from "yaml";
import { makeKeyPair, makeLeaf, type CertFiles } from "./certs.js";
import { apiserverArgs, etcdArgs, type ControlPlane } from "./control-plane.js";
import { kubectlFor, type Kubectl } from "./kubectl.js";
import { etcdBinDir, kubeBinDir } from "./peers.js";
import { freeTcpPorts } from "./ports.js";
import { probeGet } from "./probe.js";
import { startProcess, waitFor, type Supervised } from "./process.js";

export interface WorkloadClusterOptions {
  /** The management cluster holding the Cluster and KCP's Secrets. */
  readonly management: ControlPlane;
  readonly namespace: string;
  readonly clusterName: string;
  /** The Cluster's controlPlaneEndpoint port on 127.0.0.1. */
  readonly port: number;
  /** Directory for etcd's data, certs and logs; it is created, and removed by `stop()` through the caller's dir. */
  readonly dir: string;
  /** How long to wait for KCP's Secrets and for the API server. @default 120000 */
  readonly timeoutMs?: number;
}

export interface NodeSpec {
  /** The Node's name: the kubelet's `--hostname-override` / nodeRegistration.name. */
  readonly name: string;
  /** The kubelet's `--provider-id`. */
  readonly providerID: string;
  readonly controlPlane: boolean;
  readonly internalIP?: string;
  readonly kubeletVersion: string;
}

export interface WorkloadCluster {
  /** `https://127.0.0.1:<port>` */
  readonly server: string;
  /** The `<cluster>-kubeconfig` Secret's kubeconfig, written to a file. */
  readonly kubeconfigPath: string;
  /** kubectl through CAPI's kubeconfig. */
  readonly kubectl: Kubectl;
  readonly processes: readonly Supervised[];
  /** What `kubeadm init` uploads: the kubeadm-config ConfigMap in kube-system. */
  kubeadmInit(o: { kubernetesVersion: string; controlPlaneEndpoint: string; podSubnet: string; serviceSubnet: string }): Promise<void>;
  /** What a kubelet does when it starts: register its Node, then report it Ready. */
  registerNode(n: NodeSpec): Promise<void>;
  /** Node names and provider IDs now in the cluster. */
  nodes(): Promise<{ name: string; providerID: string | undefined }[]>;
  stop(): Promise<void>;
}

export class WorkloadClusterError extends Error {
  readonly code = "WORKLOAD_CLUSTER_START_FAILED";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "WorkloadClusterError";
  }
}

interface SecretJson {
  data?: Record<string, string>;
}

/** A Secret's data once it exists, decoded; waits for it (KCP makes these on its first reconciles). */
async function secretData(cp: ControlPlane, ns: string, name: string, keys: readonly string[], timeoutMs: number): Promise<Record<string, string>> {
  let out: Record<string, string> = {};
  await waitFor(`Secret ${ns}/${name}`, async () => {
    const { stdout } = await cp.kubectl(["get", "secret", "-n", ns, name, "--ignore-not-found", "-o", "json"]);
    if (stdout.trim() === "") return false;
    const data = (JSON.parse(stdout) as SecretJson).data ?? {};
    if (!keys.every((k) => typeof data[k] === "string")) return false;
    out = Object.fromEntries(keys.map((k) => [k, Buffer.from(data[k] ?? "", "base64").toString("utf8")]));
    return true;
  }, { timeoutMs, intervalMs: 500 });
  return out;
}

export async function startWorkloadCluster(o: WorkloadClusterOptions): Promise<WorkloadCluster> {
  const timeoutMs = o.timeoutMs ?? 120_000;
  const processes: Supervised[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all([...processes].reverse().map((p) => p.stop()));
  };
  try {
    const certDir = path.join(o.dir, "certs");
    const dataDir = path.join(o.dir, "etcd");
    await mkdir(certDir, { recursive: true });
    await mkdir(dataDir, { recursive: true });

    // KCP's cluster CA (CAPI util/secret: keys tls.crt and tls.key). The key
    // never leaves this directory; it signs the serving cert as kubeadm would.
    const ca = await secretData(o.management, o.namespace, `${o.clusterName}-ca`, ["tls.crt", "tls.key"], timeoutMs);
    const caFiles: CertFiles = { certFile: path.join(certDir, "cluster-ca.crt"), keyFile: path.join(certDir, "cluster-ca.key"), certPem: ca["tls.crt"] ?? "" };
    await writeFile(caFiles.certFile, caFiles.certPem);
    await writeFile(caFiles.keyFile, ca["tls.key"] ?? "", { mode: 0o600 });
    const serving = await makeLeaf(certDir, "apiserver", caFiles, {
      commonName: "kube-apiserver",
      dnsNames: ["localhost", "kubernetes", "kubernetes.default"],
      ipAddresses: ["127.0.0.1"],
      usage: "server",
    });
    const sa = await makeKeyPair(certDir, "sa-signer");

    const [etcdClientPort, etcdPeerPort] = (await freeTcpPorts(2)) as [number, number];
    const etcd = startProcess({
      name: "workload-etcd",
      command: path.join(etcdBinDir(), "etcd"),
      args: etcdArgs({ dataDir, clientPort: etcdClientPort, peerPort: etcdPeerPort }),
      logFile: path.join(o.dir, "etcd.log"),
    });
    processes.push(etcd);
    const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
    await waitFor("workload etcd /health", async () => (await probeGet(`${etcdUrl}/health`)).body.includes('"health":"true"'), { timeoutMs, process: etcd });

    // The same flags as the management API server; only the identity differs
    // (CA as server CA and client CA both, as kubeadm's single cluster CA).
    const certs = { serverCa: caFiles, serving, clientCa: caFiles, admin: caFiles, sa };
    const apiserver = startProcess({
      name: "workload-kube-apiserver",
      command: path.join(kubeBinDir(), "kube-apiserver"),
      args: apiserverArgs({ etcdUrl, port: o.port, certDir, certs }),
      logFile: path.join(o.dir, "kube-apiserver.log"),
    });
    processes.push(apiserver);

    // Reach it the way CAPI does: with the kubeconfig KCP wrote (key `value`).
    const kc = await secretData(o.management, o.namespace, `${o.clusterName}-kubeconfig`, ["value"], timeoutMs);
    const kubeconfigPath = path.join(o.dir, "workload.kubeconfig");
    await writeFile(kubeconfigPath, kc.value ?? "", { mode: 0o600 });
    const kubectl = kubectlFor(kubeBinDir(), kubeconfigPath);
    await waitFor("the workload API server through CAPI's kubeconfig", async () => {
      try {
        await kubectl(["get", "namespace", "kube-system", "-o", "name"], { timeoutMs: 5_000 });
        return true;
      } catch {
        return false;
      }
    }, { timeoutMs, intervalMs: 300, process: apiserver });

    const server = `https://127.0.0.1:${o.port}`;
    return {
      server,
      kubeconfigPath,
      kubectl,
      processes,
      async kubeadmInit(c) {
        // kubeadm's upload-config phase: ClusterConfiguration under key ClusterConfiguration.
        const clusterConfiguration = stringify({
          apiVersion: "kubeadm.k8s.io/v1beta4",
          kind: "ClusterConfiguration",
          kubernetesVersion: c.kubernetesVersion,
          controlPlaneEndpoint: c.controlPlaneEndpoint,
          networking: { podSubnet: c.podSubnet, serviceSubnet: c.serviceSubnet, dnsDomain: "cluster.local" },
          clusterName: o.clusterName,
        });
        await kubectl(["apply", "-f", "-"], {
          input: stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "kubeadm-config", namespace: "kube-system" }, data: { ClusterConfiguration: clusterConfiguration } }),
        });
      },
      async registerNode(n) {
        const labels: Record<string, string> = { "kubernetes.io/hostname": n.name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64" };
        if (n.controlPlane) labels["node-role.kubernetes.io/control-plane"] = "";
        await kubectl(["apply", "-f", "-"], {
          input: stringify({ apiVersion: "v1", kind: "Node", metadata: { name: n.name, labels }, spec: { providerID: n.providerID } }),
        });
        const now = new Date().toISOString();
        const status = {
          conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status", lastHeartbeatTime: now, lastTransitionTime: now }],
          addresses: [{ type: "Hostname", address: n.name }, ...(n.internalIP ? [{ type: "InternalIP", address: n.internalIP }] : [])],
          nodeInfo: {
            kubeletVersion: n.kubeletVersion,
            kubeProxyVersion: "",
            machineID: "",
            systemUUID: "",
            bootID: "",
            kernelVersion: "",
            osImage: "",
            containerRuntimeVersion: "",
            operatingSystem: "linux",
            architecture: "amd64",
          },
        };
        await kubectl(["patch", "node", n.name, "--subresource=status", "--type=merge", "-p", JSON.stringify({ status })]);
      },
      async nodes() {
        const { stdout } = await kubectl(["get", "nodes", "-o", "json"]);
        return (JSON.parse(stdout) as { items: { metadata: { name: string }; spec?: { providerID?: string } }[] }).items.map((i) => ({ name: i.metadata.name, providerID: i.spec?.providerID }));
      },
      stop,
    };
  } catch (err) {
    const tail = processes.map((p) => `--- ${p.name} ---\n${p.tail(15)}`).join("\n");
    await stop();
    throw new WorkloadClusterError(`workload cluster ${o.namespace}/${o.clusterName} did not start: ${err instanceof Error ? err.message : String(err)}\n${tail}`, { cause: err });
  }
}
