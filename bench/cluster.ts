/**
 * A workload cluster on the fake fleet through Cluster API (issue #6): the
 * management cluster of e2e/capi-flow.test.ts (clusterctl init, CAPI's core,
 * kubeadm bootstrap and kubeadm control-plane managers as local processes),
 * N+1 sushy-tools fake hosts played by e2e/framework/sim-agent.ts,
 * `anvil manager`, and `clusterctl generate cluster` with one control-plane
 * Machine and a MachineDeployment of N workers. Measures:
 *
 * - apply → all Machines `Provisioned` (infrastructure provisioned and a
 *   providerID, as CAPI's Machine phase defines it);
 * - each Machine's creation → Provisioned (median, p90) and Machines/minute;
 * - the manager's peak RSS (VmHWM) and CPU seconds (utime + stime), /proc.
 *
 * Workers cannot provision before the control plane is initialized: CAPI's
 * kubeadm bootstrap provider writes join data only then, so the workers'
 * figures include the control-plane Machine's provisioning and the simulated
 * `kubeadm init` (e2e/framework/sim-kubelet.ts against workload-cluster.ts).
 *
 * Anchor: Metal3 publishes none for a CAPI Machine's apply → Provisioned. The
 * reference printed is this run's own per-host figure: each claimed
 * BareMetalHost's provisioning → provisioned time from its
 * status.operationHistory.provision, and the ratio of the per-Machine median
 * to it (what CAPI, bootstrap data and host selection add on top of the deploy).
 *
 *   npx tsx bench/cluster.ts [--machines 10]
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { fleetInventory } from "../e2e/demo/inventory.js";
import { startCapiManagement, type CapiManagement } from "../e2e/framework/capi-management.js";
import { ANVIL_VERSION } from "../e2e/framework/clusterctl-repo.js";
import { startManagerProcess, type ManagerProcess } from "../e2e/framework/manager-process.js";
import { freeTcpPort } from "../e2e/framework/ports.js";
import { startSimAgent, type SimAgent } from "../e2e/framework/sim-agent.js";
import { startSimKubelets, type SimKubelets } from "../e2e/framework/sim-kubelet.js";
import { startSushyTools, type SushyTools } from "../e2e/framework/sushy-tools.js";
import { peerVersion } from "../e2e/framework/versions.js";
import { startWorkloadCluster } from "../e2e/framework/workload-cluster.js";
import { procFigures, quantile } from "./measure.js";

const { values } = parseArgs({ options: { machines: { type: "string", default: "10" } } });
const N = Number(values.machines);
if (!Number.isInteger(N) || N < 1 || N > 1000) throw new Error("--machines takes an integer 1-1000 (workers; one control-plane Machine is added)");
/** sushy-tools systems per emulator, as bench/fleet.ts. */
const SHARD = 100;
const NS = "bench";
const CLUSTER = "bench";
const ROLE = "cluster.x-k8s.io/role";
const PASSWORD = `bmc-${randomBytes(9).toString("base64url")}`;
const IMAGE = randomBytes(128 * 1024);
const K8S_VERSION = `v${peerVersion("KUBE_VERSION")}`;
const POD_CIDR = "192.168.0.0/16";
const SERVICE_CIDR = "10.96.0.0/12";
/** Bound of the apply → all Provisioned wait. */
const TIMEOUT_MS = Math.max(600_000, N * 6_000);

interface Machine {
  metadata: { name: string; creationTimestamp?: string; labels?: Record<string, string> };
  spec?: { providerID?: string };
  status?: { phase?: string; initialization?: { infrastructureProvisioned?: boolean } };
}
interface Host {
  metadata: { name: string };
  spec: { consumerRef?: { name?: string } };
  status?: { provisioning?: { state?: string }; errorType?: string; operationHistory?: { provision?: { start?: string | null; end?: string | null } } };
}

/**
 * What the run started, stopped in reverse on the way out, also on Ctrl-C
 * (peers run in their own process groups, so only this process sees it).
 * `own` registers a stop; after an interrupt it refuses, so a start still in
 * flight when the signal came is stopped by the run's own `finally`.
 */
const stops: (() => Promise<unknown>)[] = [];
let interrupted = false;
function own(stop: () => Promise<unknown>): void {
  stops.push(stop);
  if (interrupted) throw new Error("interrupted");
}
async function stopAll(): Promise<void> {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
}
let running: Promise<void> = Promise.resolve();
/** The run's scratch directory, removed after everything else stopped (a start in flight may still write into it). */
let scratch: string | undefined;
const removeScratch = async (): Promise<void> => {
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
};
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  // `on`, not `once`: tsx relays a terminal's Ctrl-C a second time, and a second signal without a listener would exit before the cleanup ends.
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    process.stdout.write(`${sig}: stopping what the run started\n`);
    void (async () => {
      await stopAll();
      // A start in flight fails once the management cluster is gone and its own cleanup runs (the workload API server stops what it started);
      // bounded, as one still waiting for a Secret has started nothing and would wait out its own 120 s.
      await Promise.race([running.catch(() => undefined), sleep(15_000)]);
      await stopAll();
      await removeScratch();
    })().finally(() => process.exit(130));
  });
}

const isProvisioned = (m: Machine): boolean => m.status?.initialization?.infrastructureProvisioned === true && (m.spec?.providerID ?? "") !== "";

async function run(): Promise<void> {
  const load = execFileSync("uptime", { encoding: "utf8" }).trim();
  process.stdout.write(`cluster bench: 1 control-plane + ${N} worker Machines on ${N + 1} fake hosts; load before: ${load}\n`);
  const dir = await mkdtemp(path.join(os.tmpdir(), "anvil-bench-cluster-"));
  scratch = dir;

  const mgmt: CapiManagement = await startCapiManagement({ dir });
  own(() => mgmt.stop());
  process.stdout.write(`management cluster ready ${JSON.stringify(mgmt.timings)} ms\n`);
  const kubectl = (args: readonly string[], input?: string) => mgmt.cp.kubectl(args, input === undefined ? {} : { input });
  await kubectl(["create", "namespace", NS]);

  const names = ["cp-0", ...Array.from({ length: N }, (_, i) => `worker-${i}`)];
  const shards: SushyTools[] = [];
  for (let i = 0; i < names.length; i += SHARD) {
    const s = await startSushyTools({ systems: names.slice(i, i + SHARD).map((name) => ({ name })), auth: { username: "admin", password: PASSWORD } });
    own(() => s.stop());
    shards.push(s);
  }
  const images = http.createServer((_req, res) => void res.writeHead(200, { "Content-Length": IMAGE.length }).end(IMAGE));
  await new Promise<void>((resolve) => images.listen(0, "127.0.0.1", resolve));
  own(() => new Promise<void>((resolve) => images.close(() => resolve())));
  const imageUrl = `http://127.0.0.1:${(images.address() as AddressInfo).port}/os.img`;

  // The same API client budget as bench/fleet.ts, so the two runs' manager figures compare.
  const manager: ManagerProcess = await startManagerProcess({ kubeconfig: mgmt.cp.kubeconfigPath, dir, extraArgs: ["--kube-api-qps=100", "--kube-api-burst=200"] });
  own(() => manager.stop(10_000));
  await manager.leading(60_000);
  const pid = manager.current.child.pid;
  if (pid === undefined) throw new Error("anvil manager has no pid");
  const sims: SimAgent[] = shards.map((s) =>
    startSimAgent({
      redfishUrl: s.url,
      auth: { username: "admin", password: PASSWORD },
      systems: s.systems.map((x) => ({ path: x.path, name: x.name, mac: x.mac })),
      bootUrl: manager.bootUrl,
      // As capi-flow for small fleets; fleet.ts' 1 s for the 100-per-shard case.
      pollMs: N > 20 ? 1000 : 250,
      progressSteps: 2,
      progressStepMs: 200,
    }),
  );
  own(() => Promise.all(sims.map((s) => s.stop())));

  const hosts = async (): Promise<Host[]> => (JSON.parse((await kubectl(["get", "bmh", "-n", NS, "-o", "json"])).stdout) as { items: Host[] }).items;
  const machines = async (): Promise<Machine[]> => (JSON.parse((await kubectl(["get", "machines.cluster.x-k8s.io", "-n", NS, "-o", "json"])).stdout) as { items: Machine[] }).items;
  const failIfErrors = (hs: readonly Host[]): void => {
    const errors = hs.filter((h) => h.status?.errorType).map((h) => `${h.metadata.name}: ${h.status?.errorType}`);
    if (errors.length > 0) throw new Error(`hosts in error: ${errors.join(", ")}`);
  };

  const role = (prefix: string) => shards.flatMap((s) => s.systems.filter((x) => x.name.startsWith(prefix)).map((x) => ({ shard: s, sys: x })));
  const inventory = [...role("cp-").map((r) => ({ ...r, label: "control-plane" })), ...role("worker-").map((r) => ({ ...r, label: "worker" }))].flatMap(({ shard, sys, label }) =>
    fleetInventory([{ id: sys.id, name: sys.name, bootMac: sys.mac }], { redfishBase: shard.url, namespace: NS, username: "admin", password: PASSWORD, labels: { [ROLE]: label } }),
  );
  for (let i = 0; i < inventory.length; i += 200) {
    await kubectl(["apply", "-f", "-"], inventory.slice(i, i + 200).map((m) => `---\n${stringify(m)}`).join(""));
  }
  const availableBy = Date.now() + Math.max(600_000, N * 3_000);
  for (;;) {
    const hs = await hosts();
    failIfErrors(hs);
    if (hs.length === N + 1 && hs.every((h) => h.status?.provisioning?.state === "available")) break;
    if (Date.now() > availableBy) throw new Error(`hosts not all available: ${hs.map((h) => `${h.metadata.name}=${h.status?.provisioning?.state ?? "?"}`).join(" ")}`);
    await sleep(1000);
  }
  process.stdout.write(`${N + 1} hosts available\n`);

  const endpointPort = await freeTcpPort();
  const yaml = await mgmt.clusterctl(
    ["generate", "cluster", CLUSTER, "--infrastructure", `anvil:${ANVIL_VERSION}`, "--target-namespace", NS,
      "--kubernetes-version", K8S_VERSION, "--control-plane-machine-count", "1", "--worker-machine-count", String(N)],
    {
      CONTROL_PLANE_ENDPOINT_HOST: "127.0.0.1",
      CONTROL_PLANE_ENDPOINT_PORT: String(endpointPort),
      IMAGE_URL: imageUrl,
      IMAGE_CHECKSUM: createHash("sha256").update(IMAGE).digest("hex"),
      IMAGE_CHECKSUM_TYPE: "sha256",
      IMAGE_FORMAT: "raw",
      SSH_AUTHORIZED_KEY: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAnvilBenchKeyNotASecretXXXXXXXXXXXXXXXXXXXXXXX anvil-bench",
      POD_CIDR,
      SERVICE_CIDR,
    },
  );
  const tApply = Date.now();
  await kubectl(["apply", "-f", "-"], yaml);

  // The workload API server and the hosts' OS: without them KCP never marks the control plane initialized and workers get no join data.
  const workload = await startWorkloadCluster({ management: mgmt.cp, namespace: NS, clusterName: CLUSTER, port: endpointPort, dir: path.join(dir, "workload") });
  own(() => workload.stop());
  const kubelets: SimKubelets = startSimKubelets({
    sim: sims[0]!, // cp-0 is the first system of the first shard; a worker on another shard never runs kubeadm init
    workload,
    kubernetesVersion: K8S_VERSION,
    controlPlaneEndpoint: `127.0.0.1:${endpointPort}`,
    podSubnet: POD_CIDR,
    serviceSubnet: SERVICE_CIDR,
    osBootMs: 1500,
  });
  own(() => kubelets.stop());
  const moreKubelets = sims.slice(1).map((sim) =>
    startSimKubelets({ sim, workload, kubernetesVersion: K8S_VERSION, controlPlaneEndpoint: `127.0.0.1:${endpointPort}`, podSubnet: POD_CIDR, serviceSubnet: SERVICE_CIDR, osBootMs: 1500 }),
  );
  own(() => Promise.all(moreKubelets.map((k) => k.stop())));

  const provisionedAt = new Map<string, number>();
  const createdAt = new Map<string, number>();
  const deadline = tApply + TIMEOUT_MS;
  for (;;) {
    const ms = await machines();
    for (const m of ms) {
      createdAt.set(m.metadata.name, Date.parse(m.metadata.creationTimestamp ?? "") || tApply);
      if (isProvisioned(m) && !provisionedAt.has(m.metadata.name)) provisionedAt.set(m.metadata.name, Date.now());
    }
    if (ms.length === N + 1 && ms.every((m) => provisionedAt.has(m.metadata.name))) break;
    failIfErrors(await hosts());
    if (Date.now() > deadline) {
      throw new Error(`not all Machines Provisioned in ${TIMEOUT_MS / 1000} s: ${ms.map((m) => `${m.metadata.name}=${m.status?.phase ?? "?"}`).join(" ")}\n--- anvil manager ---\n${manager.current.tail(15)}`);
    }
    await sleep(1000);
  }
  const tAll = Date.now();
  const figures = await procFigures(pid);
  const hs = await hosts();
  // Each SimKubelets knows only its own shard's `kubeadm init`; on the other shards a join is after init (the first shard's) by construction.
  const kubeletErrors = [...kubelets.errors, ...moreKubelets.flatMap((k) => k.errors.filter((e) => !e.endsWith("kubeadm join before any kubeadm init")))];
  // creationTimestamp and operationHistory have whole seconds; the Machine figure is also 1 s poll-bound.
  const perMachine = [...provisionedAt].map(([name, at]) => (at - (createdAt.get(name) ?? tApply)) / 1000);
  const perHost = hs
    .filter((h) => h.spec.consumerRef)
    .map((h) => h.status?.operationHistory?.provision)
    .filter((p): p is { start: string; end: string } => typeof p?.start === "string" && typeof p.end === "string")
    .map((p) => (Date.parse(p.end) - Date.parse(p.start)) / 1000);
  const deployedOnce = sims.reduce((acc, s) => acc + [...s.deploys.values()].filter((d) => d.length === 1 && d[0]?.ok === true).length, 0);

  const f = (x: number, d = 1): string => x.toFixed(d);
  const machineMedian = quantile(perMachine, 0.5);
  const hostMedian = quantile(perHost, 0.5);
  process.stdout.write(
    [
      "",
      "anchor: none published by Metal3 for a CAPI Machine's apply → Provisioned; reference: this run's own hosts, provisioning → provisioned (status.operationHistory.provision)",
      "workers | apply→all Machines Provisioned s | Machine created→Provisioned median / p90 s | Machines/min | host provisioning→provisioned median / p90 s | Machine median ÷ host median | manager peak RSS MiB | manager CPU s | hosts deployed once",
      [
        N,
        f((tAll - tApply) / 1000),
        `${f(machineMedian)} / ${f(quantile(perMachine, 0.9))}`,
        f(((N + 1) * 60 * 1000) / (tAll - tApply)),
        `${f(hostMedian)} / ${f(quantile(perHost, 0.9))} (${perHost.length} hosts)`,
        `${f(machineMedian / hostMedian, 2)}×`,
        f(figures.peakRssMiB),
        f(figures.cpuS),
        `${deployedOnce}/${N + 1}`,
      ].join(" | "),
      `simulated kubelet errors: ${kubeletErrors.length === 0 ? "none" : kubeletErrors.join("; ")}`,
      `load after: ${execFileSync("uptime", { encoding: "utf8" }).trim()}`,
      "",
    ].join("\n"),
  );
}

running = run();
// After an interrupt the signal handler cleans up and exits; a failure of the run itself (a start the signal cut short, too) must not end the process before that.
await running.catch((err: unknown) => {
  if (interrupted) return;
  process.exitCode = 1;
  process.stderr.write(`cluster bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
});
if (!interrupted) {
  await stopAll();
  await removeScratch();
}
