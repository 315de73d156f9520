/**
 * The Cluster API flow end to end, as a platform team runs it (issue #6):
 * `clusterctl init --infrastructure anvil` from the offline repository on a
 * real management API server; CAPI's core, kubeadm bootstrap and kubeadm
 * control-plane managers as local processes; `anvil manager` as a child
 * process (host + cluster controllers); five sushy-tools fake servers played
 * by the simulated firmware + ramdisk. BareMetalHosts go `available`, then
 * `clusterctl generate cluster demo` is applied: Machines get hosts, their
 * AnvilMachines provision, the Machines carry `anvil://` provider IDs; the
 * provisioned hosts' OS (sim-kubelet.ts) runs kubeadm init/join against a
 * second API server on the control-plane endpoint (workload-cluster.ts) and
 * registers Nodes → CAPI marks the Machines Running. The MachineDeployment
 * scales 2 → 4 → 1 (hosts claimed, then released and wiped), and deleting
 * the Cluster wipes and frees every host.
 */
import { createHash, randomBytes } from "node:crypto";
import { cp, mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { capiRoleInventory, startCapiFleetAgent } from "./framework/capi-fleet.js";
import { startCapiManagement, type CapiManagement } from "./framework/capi-management.js";
import { ANVIL_VERSION } from "./framework/clusterctl-repo.js";
import { startManagerProcess, type ManagerProcess } from "./framework/manager-process.js";
import { freeTcpPort } from "./framework/ports.js";
import type { SimAgent } from "./framework/sim-agent.js";
import { startSimKubelets, type SimKubelets } from "./framework/sim-kubelet.js";
import { startSushyTools, type SushyTools } from "./framework/sushy-tools.js";
import { peerVersion } from "./framework/versions.js";
import { startWorkloadCluster, type WorkloadCluster } from "./framework/workload-cluster.js";

const NS = "demo";
const CLUSTER = "demo";
const PASSWORD = `bmc-${randomBytes(9).toString("base64url")}`;
const IMAGE = randomBytes(128 * 1024);
const IMAGE_SHA256 = createHash("sha256").update(IMAGE).digest("hex");
const K8S_VERSION = `v${peerVersion("KUBE_VERSION")}`;
const POD_CIDR = "192.168.0.0/16";
const SERVICE_CIDR = "10.96.0.0/12";

interface Machine {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec?: { providerID?: string; infrastructureRef?: { name?: string } };
  status?: { phase?: string; nodeRef?: { name?: string }; initialization?: { infrastructureProvisioned?: boolean } };
}
interface Host {
  metadata: { name: string };
  spec: { bootMACAddress?: string; consumerRef?: { name?: string } };
  status?: { provisioning?: { state?: string }; errorType?: string; errorMessage?: string };
}

describe("clusterctl generate → apply → Machines Provisioned → Running; scale 2 → 4 → 1; delete", () => {
  let dir: string;
  let mgmt: CapiManagement;
  let sushy: SushyTools;
  let images: http.Server;
  let imageUrl: string;
  let manager: ManagerProcess;
  let sim: SimAgent;
  let workload: WorkloadCluster | undefined;
  let kubelets: SimKubelets | undefined;
  let endpointPort: number;
  const t0 = Date.now();
  const marks: [string, number][] = [];
  const mark = (what: string): void => {
    marks.push([what, Date.now()]);
    process.stdout.write(`capi-flow: ${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  };
  /** Every phase each Machine was seen in, in order (polled). */
  const phasesSeen = new Map<string, string[]>();
  const macOf = new Map<string, string>();

  const kubectl = (args: readonly string[], input?: string) => mgmt.cp.kubectl(args, input === undefined ? {} : { input });
  const machines = async (): Promise<Machine[]> => {
    const list = (JSON.parse((await kubectl(["get", "machines.cluster.x-k8s.io", "-n", NS, "-o", "json"])).stdout) as { items: Machine[] }).items;
    for (const m of list) {
      const seen = phasesSeen.get(m.metadata.name) ?? [];
      const p = m.status?.phase ?? "";
      if (seen.at(-1) !== p) seen.push(p);
      phasesSeen.set(m.metadata.name, seen);
    }
    return list;
  };
  const hosts = async (): Promise<Host[]> => (JSON.parse((await kubectl(["get", "bmh", "-n", NS, "-o", "json"])).stdout) as { items: Host[] }).items;
  const isWorker = (m: Machine): boolean => m.metadata.labels?.["cluster.x-k8s.io/deployment-name"] !== undefined;
  const summary = (ms: Machine[], hs: Host[]): string =>
    `machines: ${ms.map((m) => `${m.metadata.name}=${m.status?.phase ?? "?"}`).join(" ")} | hosts: ${hs.map((h) => `${h.metadata.name}=${h.status?.provisioning?.state ?? "?"}${h.spec.consumerRef ? "*" : ""}`).join(" ")}`;

  /** Polls until `done` holds; fails on a host error; bounded by `timeoutMs`. */
  async function until(what: string, done: (ms: Machine[], hs: Host[]) => boolean, timeoutMs: number, before?: () => Promise<void>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await before?.();
      const [ms, hs] = [await machines(), await hosts()];
      const errors = hs.filter((h) => h.status?.errorType).map((h) => `${h.metadata.name}: ${h.status?.errorType} ${h.status?.errorMessage ?? ""}`);
      expect(errors, `hosts in error while waiting for ${what}`).toEqual([]);
      expect(kubelets?.errors ?? [], "simulated kubelets").toEqual([]);
      if (done(ms, hs)) return mark(what);
      if (Date.now() > deadline) {
        throw new Error(`${what}: not reached in ${timeoutMs / 1000} s; ${summary(ms, hs)}\n--- anvil manager ---\n${manager.current.tail(15)}\n--- KCP ---\n${mgmt.managers[2]?.process.tail(15) ?? ""}`);
      }
      await sleep(250);
    }
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "anvil-capi-flow-"));
    mgmt = await startCapiManagement({ dir });
    mark(`management cluster ready (${JSON.stringify(mgmt.timings)} ms)`);
    await kubectl(["create", "namespace", NS]);
    sushy = await startSushyTools({ systems: ["cp-0", "worker-0", "worker-1", "worker-2", "worker-3"].map((name) => ({ name })), auth: { username: "admin", password: PASSWORD } });
    for (const s of sushy.systems) macOf.set(s.name, s.mac);
    images = http.createServer((req, res) => {
      if (req.url !== "/os.img") return void res.writeHead(404).end();
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": IMAGE.length }).end(IMAGE);
    });
    await new Promise<void>((resolve) => images.listen(0, "127.0.0.1", resolve));
    imageUrl = `http://127.0.0.1:${(images.address() as AddressInfo).port}/os.img`;
    manager = await startManagerProcess({ kubeconfig: mgmt.cp.kubeconfigPath, dir, extraArgs: ["--log-level=debug"] });
    sim = startCapiFleetAgent(sushy, manager.bootUrl, PASSWORD);
    const inventory = capiRoleInventory(sushy, { namespace: NS, password: PASSWORD });
    await kubectl(["apply", "-f", "-"], inventory.map((m) => `---\n${stringify(m)}`).join(""));
    await until("5 hosts available", (_ms, hs) => hs.length === 5 && hs.every((h) => h.status?.provisioning?.state === "available"), 120_000);
  }, 300_000);

  afterAll(async () => {
    if (process.env.ANVIL_KEEP_CAPI_FLOW_LOGS) await cp(dir, process.env.ANVIL_KEEP_CAPI_FLOW_LOGS, { recursive: true, filter: (f) => !f.includes("/etcd/") }).catch(() => undefined);
    await kubelets?.stop();
    await sim?.stop();
    await manager?.stop(5_000);
    await workload?.stop();
    await sushy?.stop();
    await new Promise<void>((resolve) => (images ? images.close(() => resolve()) : resolve()));
    await mgmt?.stop();
    await rm(dir, { recursive: true, force: true });
    const rows = marks.map(([w, at], i) => `${((at - (marks[i - 1]?.[1] ?? t0)) / 1000).toFixed(1).padStart(6)} s  ${w}`);
    process.stdout.write(`capi-flow timings (delta since the previous step):\n${rows.join("\n")}\n`);
  }, 90_000);

  it("provisions the generated cluster's Machines on hosts, with anvil:// provider IDs, then runs them once their Nodes register", async () => {
    endpointPort = await freeTcpPort();
    const env = {
      CONTROL_PLANE_ENDPOINT_HOST: "127.0.0.1",
      CONTROL_PLANE_ENDPOINT_PORT: String(endpointPort),
      IMAGE_URL: imageUrl,
      IMAGE_CHECKSUM: IMAGE_SHA256,
      IMAGE_CHECKSUM_TYPE: "sha256",
      IMAGE_FORMAT: "raw",
      SSH_AUTHORIZED_KEY: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAnvilE2eTestKeyNotASecretXXXXXXXXXXXXXXXXXXXX anvil-e2e",
      POD_CIDR,
      SERVICE_CIDR,
    };
    const yaml = await mgmt.clusterctl([
      "generate", "cluster", CLUSTER, "--infrastructure", `anvil:${ANVIL_VERSION}`, "--target-namespace", NS,
      "--kubernetes-version", K8S_VERSION, "--control-plane-machine-count", "1", "--worker-machine-count", "2",
    ], env);
    expect(yaml).not.toMatch(/\$\{/);
    await kubectl(["apply", "-f", "-"], yaml);
    mark("cluster applied");

    // kubeadm's control plane comes up on the endpoint with KCP's CA; its API server is reachable once KCP wrote the CA and kubeconfig.
    workload = await startWorkloadCluster({ management: mgmt.cp, namespace: NS, clusterName: CLUSTER, port: endpointPort, dir: path.join(dir, "workload") });
    mark("workload API server serving with KCP's CA, reached through the demo-kubeconfig Secret");
    kubelets = startSimKubelets({
      sim,
      workload,
      kubernetesVersion: K8S_VERSION,
      controlPlaneEndpoint: `127.0.0.1:${endpointPort}`,
      podSubnet: POD_CIDR,
      serviceSubnet: SERVICE_CIDR,
      osBootMs: 1500,
    });

    await until("3 Machines provisioned with provider IDs", (ms) => ms.length === 3 && ms.every((m) => m.status?.initialization?.infrastructureProvisioned === true && m.spec?.providerID), 240_000);
    await until("3 Machines Running", (ms) => ms.length === 3 && ms.every((m) => m.status?.phase === "Running" && m.status.nodeRef?.name), 180_000);

    const [ms, hs] = [await machines(), await hosts()];
    const nodes = await workload.nodes();
    for (const m of ms) {
      const providerID = m.spec?.providerID ?? "";
      const [, ns, host, anvilMachine] = /^anvil:\/\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(providerID) ?? [];
      expect([ns, anvilMachine], `providerID of ${m.metadata.name}`).toEqual([NS, m.spec?.infrastructureRef?.name]);
      const h = hs.find((x) => x.metadata.name === host);
      expect(h?.spec.consumerRef?.name, `host ${host} consumed by ${anvilMachine}`).toBe(anvilMachine);
      expect(h?.status?.provisioning?.state).toBe("provisioned");
      expect(h?.metadata.name.startsWith(isWorker(m) ? "worker-" : "cp-"), `${m.metadata.name} on a host its hostSelector allows`).toBe(true);
      // The Node registered under the host's name with the provider ID from the config drive; CAPI matched it to this Machine.
      expect(nodes).toContainEqual({ name: host, providerID });
      expect(m.status?.nodeRef?.name).toBe(host);
      expect(phasesSeen.get(m.metadata.name), `phases of ${m.metadata.name}`).toContain("Provisioned");
    }
    const cluster = JSON.parse((await kubectl(["get", "clusters.cluster.x-k8s.io", "-n", NS, CLUSTER, "-o", "json"])).stdout) as { status?: { initialization?: { controlPlaneInitialized?: boolean } } };
    expect(cluster.status?.initialization?.controlPlaneInitialized).toBe(true);
    // Each claimed host was deployed once, with our image.
    for (const h of hs.filter((x) => x.spec.consumerRef)) {
      expect((sim.deploys.get(macOf.get(h.metadata.name) ?? "") ?? []).map((d) => [d.ok, d.imageUrl]), `deploys of ${h.metadata.name}`).toEqual([[true, imageUrl]]);
    }
  }, 480_000);

  it("scales the MachineDeployment 2 → 4 (two more hosts claimed) → 1 (three released, wiped, their Nodes gone)", async () => {
    await kubectl(["scale", "machinedeployments.cluster.x-k8s.io", "-n", NS, `${CLUSTER}-workers`, "--replicas=4"]);
    await until("5 Machines Running after scaling to 4", (ms, hs) => ms.length === 5 && ms.every((m) => m.status?.phase === "Running") && hs.every((h) => h.status?.provisioning?.state === "provisioned" && h.spec.consumerRef), 240_000);

    const before = Date.now();
    const runningWorkers = (await machines()).filter(isWorker);
    await kubectl(["scale", "machinedeployments.cluster.x-k8s.io", "-n", NS, `${CLUSTER}-workers`, "--replicas=1"]);
    await until("2 Machines after scaling to 1, 3 hosts available again", (ms, hs) =>
      ms.length === 2 && ms.every((m) => m.status?.phase === "Running") &&
      hs.filter((h) => h.status?.provisioning?.state === "available" && !h.spec.consumerRef).length === 3, 240_000);

    const [ms, hs] = [await machines(), await hosts()];
    const kept = ms.filter(isWorker).map((m) => m.metadata.name);
    expect(kept).toHaveLength(1);
    expect(runningWorkers.map((m) => m.metadata.name)).toEqual(expect.arrayContaining(kept));
    const freed = hs.filter((h) => !h.spec.consumerRef).map((h) => h.metadata.name);
    for (const name of freed) {
      const mac = macOf.get(name) ?? "";
      const wipes = sim.events.filter((e) => e.mac === mac && e.kind === "result" && e.action === "wipe" && e.ok && e.at > before);
      expect(wipes, `wipes of released host ${name}`).toHaveLength(1);
    }
    // CAPI deleted the released Machines' Nodes in the workload cluster; the kept ones remain.
    const nodes = (await workload!.nodes()).map((n) => n.name).sort();
    expect(nodes).toEqual(hs.filter((h) => h.spec.consumerRef).map((h) => h.metadata.name).sort());
  }, 480_000);

  it("deletes the Cluster: every Machine goes, every host is wiped and available without a consumer", async () => {
    const before = Date.now();
    const stillClaimed = (await hosts()).filter((h) => h.spec.consumerRef).map((h) => h.metadata.name);
    expect(stillClaimed).toHaveLength(2);
    await kubectl(["delete", "clusters.cluster.x-k8s.io", "-n", NS, CLUSTER, "--wait=false"]);
    const left = async (): Promise<string> => (await kubectl(["get", "clusters.cluster.x-k8s.io,kubeadmcontrolplanes,anvilclusters,anvilmachines", "-n", NS, "-o", "name"])).stdout.trim();
    let remaining = "?";
    await until("Cluster deleted, every host available", (ms, hs) => remaining === "" && ms.length === 0 && hs.every((h) => h.status?.provisioning?.state === "available" && !h.spec.consumerRef), 240_000, async () => {
      remaining = await left();
    });
    expect(await left()).toBe("");
    for (const name of stillClaimed) {
      const mac = macOf.get(name) ?? "";
      const wipes = sim.events.filter((e) => e.mac === mac && e.kind === "result" && e.action === "wipe" && e.ok && e.at > before);
      expect(wipes, `wipes of ${name} after the Cluster's deletion`).toHaveLength(1);
    }
    // No host was ever deployed more often than it was claimed: 1 control plane + 4 workers, once each.
    for (const s of sushy.systems) expect((sim.deploys.get(s.mac) ?? []).length, `deploys of ${s.name}`).toBe(1);
  }, 360_000);
});
