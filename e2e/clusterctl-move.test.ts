/**
 * `clusterctl move` to a second management cluster, nothing reprovisioned
 * (issue #6, ADR 0019). Two management API servers, each initialised with
 * `clusterctl init` (CAPI core, kubeadm bootstrap + control plane, Anvil);
 * on the target nothing runs until after the move. On the source, a cluster
 * with 2 Machines (1 control plane, 1 worker) is provisioned on sushy-tools
 * fake servers played by the simulated firmware + ramdisk and runs (Nodes in
 * a stand-in workload API server). A third host stays free.
 *
 * The move: the claimed hosts' BMC credentials Secrets are put on the target
 * (inventory, ADR 0019 §2), `clusterctl move --to-kubeconfig` runs while the
 * source's managers still run, then the source's managers stop and the
 * target's start (Anvil on the same boot URL: the provisioning network moves
 * with the management cluster). Checked: the hosts came over paused with
 * their status saved, the free host stayed; on the target the hosts return to
 * `provisioned` with the same image and consumer, the Machines keep their
 * providerID and run again, and no host was powered off or booted or deployed
 * during or after the move. Then the target scales the workers to 0 and
 * deletes the Cluster: each host is wiped once and `available` again.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { bmcSecretName } from "./demo/inventory.js";
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

const NS = "move";
const CLUSTER = "mover";
const PASSWORD = `bmc-${randomBytes(9).toString("base64url")}`;
const IMAGE = randomBytes(64 * 1024);
const IMAGE_SHA256 = createHash("sha256").update(IMAGE).digest("hex");
const K8S_VERSION = `v${peerVersion("KUBE_VERSION")}`;
const POD_CIDR = "192.168.0.0/16";
const SERVICE_CIDR = "10.96.0.0/12";
const STATUS_ANNOTATION = "baremetalhost.metal3.io/status";
const PAUSED_ANNOTATION = "baremetalhost.metal3.io/paused";

interface Meta {
  name: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { kind: string; name: string; uid: string }[];
}
interface Machine {
  metadata: Meta;
  spec?: { providerID?: string };
  status?: { phase?: string; nodeRef?: { name?: string } };
}
interface Host {
  metadata: Meta;
  spec: { image?: { url?: string }; consumerRef?: { name?: string; uid?: string } };
  status?: { provisioning?: { state?: string; image?: { url?: string } }; errorType?: string; errorMessage?: string };
}
type Kubectl = CapiManagement["cp"]["kubectl"];

describe("clusterctl move to a second management cluster: hosts and Machines keep their state, nothing is reprovisioned", () => {
  let dir: string;
  let source: CapiManagement | undefined;
  let target: CapiManagement | undefined;
  let sushy: SushyTools;
  let images: http.Server;
  let imageUrl: string;
  let sourceAnvil: ManagerProcess | undefined;
  let targetAnvil: ManagerProcess | undefined;
  let sim: SimAgent;
  let workload: WorkloadCluster | undefined;
  let kubelets: SimKubelets | undefined;
  const macOf = new Map<string, string>();
  /** The hosts the cluster claimed (cp-0 and one worker), and the worker left free. */
  let claimedNames: string[] = [];
  let freeName = "";
  const t0 = Date.now();
  const marks: [string, number][] = [];
  const mark = (what: string): void => {
    marks.push([what, Date.now()]);
    process.stdout.write(`clusterctl-move: ${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  };

  const on = (m: CapiManagement | undefined): Kubectl => {
    if (!m) throw new Error("management cluster not started");
    return m.cp.kubectl;
  };
  const list = async <T,>(k: Kubectl, kind: string): Promise<T[]> => (JSON.parse((await k(["get", kind, "-n", NS, "-o", "json"])).stdout) as { items: T[] }).items;
  const machines = (k: Kubectl): Promise<Machine[]> => list<Machine>(k, "machines.cluster.x-k8s.io");
  const hosts = (k: Kubectl): Promise<Host[]> => list<Host>(k, "bmh");
  const summary = (ms: Machine[], hs: Host[]): string =>
    `machines: ${ms.map((m) => `${m.metadata.name}=${m.status?.phase ?? "?"}`).join(" ")} | hosts: ${hs.map((h) => `${h.metadata.name}=${h.status?.provisioning?.state ?? "?"}${h.spec.consumerRef ? "*" : ""}`).join(" ")}`;

  /** Polls `k`'s Machines and hosts until `done`; fails on a host error; bounded by `timeoutMs`. */
  async function until(k: Kubectl, what: string, done: (ms: Machine[], hs: Host[]) => boolean, timeoutMs: number, logs: () => string = () => ""): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [ms, hs] = [await machines(k), await hosts(k)];
      const errors = hs.filter((h) => h.status?.errorType).map((h) => `${h.metadata.name}: ${h.status?.errorType} ${h.status?.errorMessage ?? ""}`);
      expect(errors, `hosts in error while waiting for ${what}`).toEqual([]);
      expect(kubelets?.errors ?? [], "simulated kubelets").toEqual([]);
      if (done(ms, hs)) return mark(what);
      if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs / 1000} s; ${summary(ms, hs)}\n${logs()}`);
      await sleep(500);
    }
  }
  const anvilLogs = (m: ManagerProcess | undefined) => () => `--- anvil manager ---\n${m?.current.tail(20) ?? ""}`;
  const bootsOf = (mac: string): number => sim.events.filter((e) => e.mac === mac && e.kind === "boot").length;
  const powerOf = async (systemPath: string): Promise<string> => ((await sushy.get(systemPath)) as { PowerState?: string }).PowerState ?? "?";

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "anvil-clusterctl-move-"));
    // One after the other: two clusterctl inits at once only make each slower on 2 shared cores.
    source = await startCapiManagement({ dir: path.join(dir, "source") });
    mark(`source management cluster ready (${JSON.stringify(source.timings)} ms)`);
    target = await startCapiManagement({ dir: path.join(dir, "target"), startManagers: false });
    mark(`target management cluster initialised, its managers held back (${JSON.stringify(target.timings)} ms)`);

    await on(source)(["create", "namespace", NS]);
    sushy = await startSushyTools({ systems: ["cp-0", "worker-0", "worker-1"].map((name) => ({ name })), auth: { username: "admin", password: PASSWORD } });
    for (const s of sushy.systems) macOf.set(s.name, s.mac);
    images = http.createServer((req, res) => {
      if (req.url !== "/os.img") return void res.writeHead(404).end();
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": IMAGE.length }).end(IMAGE);
    });
    await new Promise<void>((resolve) => images.listen(0, "127.0.0.1", resolve));
    imageUrl = `http://127.0.0.1:${(images.address() as AddressInfo).port}/os.img`;
    sourceAnvil = await startManagerProcess({ kubeconfig: source.cp.kubeconfigPath, dir: path.join(dir, "source"), extraArgs: ["--log-level=debug"] });
    sim = startCapiFleetAgent(sushy, sourceAnvil.bootUrl, PASSWORD);
    const inventory = capiRoleInventory(sushy, { namespace: NS, password: PASSWORD });
    await on(source)(["apply", "-f", "-"], { input: inventory.map((m) => `---\n${stringify(m)}`).join("") });
    await until(on(source), "3 hosts available on the source", (_ms, hs) => hs.length === 3 && hs.every((h) => h.status?.provisioning?.state === "available"), 180_000, anvilLogs(sourceAnvil));
    // Two management clusters, each building its clusterctl repository and running init: 450 s for one was seen at load 40.
  }, 1_500_000);

  afterAll(async () => {
    await kubelets?.stop();
    await sim?.stop();
    await sourceAnvil?.stop(5_000).catch(() => undefined);
    await targetAnvil?.stop(5_000).catch(() => undefined);
    await workload?.stop();
    await sushy?.stop();
    await new Promise<void>((resolve) => (images ? images.close(() => resolve()) : resolve()));
    await target?.stop();
    await source?.stop();
    await rm(dir, { recursive: true, force: true });
    const rows = marks.map(([w, at], i) => `${((at - (marks[i - 1]?.[1] ?? t0)) / 1000).toFixed(1).padStart(6)} s  ${w}`);
    process.stdout.write(`clusterctl-move timings (delta since the previous step):\n${rows.join("\n")}\n`);
  }, 120_000);

  it("provisions a 2-Machine cluster on the source management cluster and runs it", async () => {
    const endpointPort = await freeTcpPort();
    const yaml = await source!.clusterctl([
      "generate", "cluster", CLUSTER, "--infrastructure", `anvil:${ANVIL_VERSION}`, "--target-namespace", NS,
      "--kubernetes-version", K8S_VERSION, "--control-plane-machine-count", "1", "--worker-machine-count", "1",
    ], {
      CONTROL_PLANE_ENDPOINT_HOST: "127.0.0.1",
      CONTROL_PLANE_ENDPOINT_PORT: String(endpointPort),
      IMAGE_URL: imageUrl,
      IMAGE_CHECKSUM: IMAGE_SHA256,
      IMAGE_CHECKSUM_TYPE: "sha256",
      IMAGE_FORMAT: "raw",
      SSH_AUTHORIZED_KEY: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAnvilE2eTestKeyNotASecretXXXXXXXXXXXXXXXXXXXX anvil-e2e",
      POD_CIDR,
      SERVICE_CIDR,
    });
    await on(source)(["apply", "-f", "-"], { input: yaml });
    workload = await startWorkloadCluster({ management: source!.cp, namespace: NS, clusterName: CLUSTER, port: endpointPort, dir: path.join(dir, "workload") });
    kubelets = startSimKubelets({ sim, workload, kubernetesVersion: K8S_VERSION, controlPlaneEndpoint: `127.0.0.1:${endpointPort}`, podSubnet: POD_CIDR, serviceSubnet: SERVICE_CIDR, osBootMs: 1500 });
    await until(on(source), "2 Machines Running on the source", (ms) => ms.length === 2 && ms.every((m) => m.status?.phase === "Running" && m.spec?.providerID && m.status.nodeRef?.name), 420_000, anvilLogs(sourceAnvil));

    const hs = await hosts(on(source));
    const claimed = hs.filter((h) => h.spec.consumerRef);
    claimedNames = claimed.map((h) => h.metadata.name).sort();
    freeName = hs.find((h) => !h.spec.consumerRef)?.metadata.name ?? "";
    expect(claimedNames).toHaveLength(2);
    expect(claimedNames[0]).toBe("cp-0");
    expect(freeName).toMatch(/^worker-/);
    for (const h of claimed) {
      // The claim makes the AnvilMachine an owner of its host: that is how the host joins the Cluster's graph.
      expect(h.metadata.ownerReferences?.filter((r) => r.kind === "AnvilMachine").map((r) => r.name), `owners of ${h.metadata.name}`).toEqual([h.spec.consumerRef?.name]);
      expect((sim.deploys.get(macOf.get(h.metadata.name) ?? "") ?? []).map((d) => [d.ok, d.imageUrl]), `deploys of ${h.metadata.name}`).toEqual([[true, imageUrl]]);
    }
  }, 600_000);

  it("moves the cluster while the source's managers run; on the target the hosts stay provisioned and the Machines run again with nothing powered, booted or deployed", async () => {
    const [srcMachines, srcHosts] = [await machines(on(source)), await hosts(on(source))];
    const claimed = srcHosts.filter((h) => h.spec.consumerRef);
    const before = new Map(claimed.map((h) => [h.metadata.name, { consumer: h.spec.consumerRef?.name, image: h.status?.provisioning?.image?.url ?? h.spec.image?.url, boots: bootsOf(macOf.get(h.metadata.name) ?? ""), deploys: sim.deploys.get(macOf.get(h.metadata.name) ?? "")?.length ?? 0 }]));
    const providerIDs = new Map(srcMachines.map((m) => [m.metadata.name, m.spec?.providerID]));

    // BMC credentials are inventory (ADR 0019 §2): put on the target as they were on the source.
    await on(target)(["create", "namespace", NS, "--dry-run=client", "-o", "yaml"]).then((r) => on(target)(["apply", "-f", "-"], { input: r.stdout }));
    for (const h of claimed) {
      const s = JSON.parse((await on(source)(["get", "secret", "-n", NS, bmcSecretName(h.metadata.name), "-o", "json"])).stdout) as { metadata: Record<string, unknown>; data: unknown; type: string };
      const copy = { apiVersion: "v1", kind: "Secret", metadata: { name: s.metadata.name, namespace: NS }, type: s.type, data: s.data };
      await on(target)(["create", "-f", "-"], { input: JSON.stringify(copy) });
    }

    // Every power state of the fleet, every 500 ms, for as long as the move and the takeover last.
    const powerBefore = new Map<string, string>();
    for (const s of sushy.systems) powerBefore.set(s.name, await powerOf(s.path));
    const powerSeen = new Map<string, Set<string>>();
    let watching = true;
    const watcher = (async () => {
      for (let i = 0; watching && i < 4000; i++) {
        for (const s of sushy.systems) {
          const p = await powerOf(s.path).catch(() => "unreachable");
          powerSeen.set(s.name, (powerSeen.get(s.name) ?? new Set()).add(p));
        }
        await sleep(500);
      }
    })();

    try {
      const out = await source!.clusterctl(["move", "--to-kubeconfig", target!.cp.kubeconfigPath, "--namespace", NS, "-v", "1"]);
      mark("clusterctl move done");
      expect(out).toContain("Moving Cluster API objects");

      // What arrived: the claimed hosts, paused by Anvil, with their status in the annotation; the free host stayed.
      const moved = await hosts(on(target));
      expect(moved.map((h) => h.metadata.name).sort()).toEqual(claimedNames);
      for (const h of moved) {
        expect(h.metadata.annotations?.[PAUSED_ANNOTATION], `${h.metadata.name} paused`).toBe("infrastructure.cluster.x-k8s.io/anvil");
        const saved = JSON.parse(h.metadata.annotations?.[STATUS_ANNOTATION] ?? "{}") as { provisioning?: { state?: string } };
        expect(saved.provisioning?.state, `${h.metadata.name}'s saved status`).toBe("provisioned");
        // With its agent-state Secret, owned by the new host object.
        const agent = JSON.parse((await on(target)(["get", "secret", "-n", NS, `${h.metadata.name}-anvil-agent`, "-o", "json"])).stdout) as { metadata: Meta };
        expect(agent.metadata.ownerReferences?.map((r) => r.uid)).toEqual([h.metadata.uid]);
      }
      const stayed = await hosts(on(source));
      expect(stayed.map((h) => [h.metadata.name, h.status?.provisioning?.state, h.spec.consumerRef])).toEqual([[freeName, "available", undefined]]);
      expect(await machines(on(source))).toEqual([]);

      // The takeover: the source's controllers stop, the target's start.
      await source!.stopManagers();
      const bootPort = Number(new URL(sourceAnvil!.bootUrl).port);
      await sourceAnvil!.stop(15_000);
      mark("source managers stopped");
      await target!.startManagers();
      targetAnvil = await startManagerProcess({ kubeconfig: target!.cp.kubeconfigPath, dir: path.join(dir, "target"), httpPort: bootPort, extraArgs: ["--log-level=debug"] });
      mark("target managers started");

      await until(on(target), "target: hosts provisioned and unpaused, Machines Running", (ms, hs) =>
        ms.length === 2 && ms.every((m) => m.status?.phase === "Running" && m.status.nodeRef?.name) &&
        hs.length === 2 && hs.every((h) => h.status?.provisioning?.state === "provisioned" && !(PAUSED_ANNOTATION in (h.metadata.annotations ?? {})) && !(STATUS_ANNOTATION in (h.metadata.annotations ?? {}))), 300_000, anvilLogs(targetAnvil));
      // A steady look: anything the target was going to do to the hosts has had time to start.
      await sleep(15_000);
    } finally {
      watching = false;
      await watcher;
    }

    const [ms, hs, ams] = [await machines(on(target)), await hosts(on(target)), await list<{ metadata: Meta }>(on(target), "anvilmachines")];
    expect(new Map(ms.map((m) => [m.metadata.name, m.spec?.providerID]))).toEqual(providerIDs);
    for (const h of hs) {
      const was = before.get(h.metadata.name);
      const mac = macOf.get(h.metadata.name) ?? "";
      expect(h.status?.provisioning?.state).toBe("provisioned");
      expect(h.spec.consumerRef?.name, `consumer of ${h.metadata.name}`).toBe(was?.consumer);
      expect(h.status?.provisioning?.image?.url ?? h.spec.image?.url, `image of ${h.metadata.name}`).toBe(was?.image);
      // Re-bound to the target's AnvilMachine: consumerRef and ownerReference carry its new UID.
      const am = ams.find((a) => a.metadata.name === h.spec.consumerRef?.name);
      expect(h.spec.consumerRef?.uid).toBe(am?.metadata.uid);
      expect(h.metadata.ownerReferences?.filter((r) => r.kind === "AnvilMachine").map((r) => r.uid)).toEqual([am?.metadata.uid]);
      expect(bootsOf(mac), `boots of ${h.metadata.name} since the move`).toBe(was?.boots);
      expect(sim.deploys.get(mac)?.length ?? 0, `deploys of ${h.metadata.name}`).toBe(was?.deploys);
    }
    for (const s of sushy.systems) {
      // The claimed hosts run their OS; the free one keeps whatever it had. Nobody changed either.
      if (s.name !== freeName) expect(powerBefore.get(s.name), `power of ${s.name} before the move`).toBe("On");
      expect([...(powerSeen.get(s.name) ?? [])], `power states of ${s.name} during the move`).toEqual([powerBefore.get(s.name)]);
    }
  }, 600_000);

  it("the target then scales the workers to 0 and deletes the Cluster: each host is wiped once and available again", async () => {
    const t = on(target);
    const since = Date.now();
    await t(["scale", "machinedeployments.cluster.x-k8s.io", "-n", NS, `${CLUSTER}-workers`, "--replicas=0"]);
    const worker = claimedNames[1] ?? "";
    await until(t, "target: worker released, wiped, available", (ms, hs) =>
      ms.length === 1 && hs.find((h) => h.metadata.name === worker)?.status?.provisioning?.state === "available" && !hs.find((h) => h.metadata.name === worker)?.spec.consumerRef, 300_000, anvilLogs(targetAnvil));
    await t(["delete", "clusters.cluster.x-k8s.io", "-n", NS, CLUSTER, "--wait=false"]);
    await until(t, "target: Cluster deleted, both hosts available", (ms, hs) => ms.length === 0 && hs.length === 2 && hs.every((h) => h.status?.provisioning?.state === "available" && !h.spec.consumerRef), 360_000, anvilLogs(targetAnvil));
    for (const name of claimedNames) {
      const mac = macOf.get(name) ?? "";
      const wipes = sim.events.filter((e) => e.mac === mac && e.kind === "result" && e.action === "wipe" && e.ok && e.at > since);
      expect(wipes, `wipes of ${name} on the target`).toHaveLength(1);
      expect(sim.deploys.get(mac)?.length, `deploys of ${name} in the whole run`).toBe(1);
    }
    expect(sim.deploys.get(macOf.get(freeName) ?? "")?.length ?? 0).toBe(0);
  }, 720_000);
});
