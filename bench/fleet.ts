/**
 * A fleet through `anvil manager`: N fake hosts (sushy-tools' fake driver,
 * sharded 100 systems per emulator as Metal3's 1000-node run needed 20–30
 * sushy-tools instances) played by e2e/framework/sim-agent.ts, on a real
 * kube-apiserver + etcd. Measures, per N:
 *
 * - apply → all `available` (registration, in-band inspection, HardwareData),
 *   and each host's own registering → available time (median, p90);
 * - image set → all `provisioned` (deploy with progress, config drive);
 * - hosts per minute for both;
 * - the manager's peak RSS (VmHWM) and CPU seconds (utime + stime), from /proc.
 *
 * Anchor: Metal3's "Scaling to 1000 clusters, part 1" (metal3.io blog,
 * 2023-05-05): in baremetal-operator's test mode a BareMetalHost goes
 * registering → available in about 6 s. Test mode fakes Ironic, so it is
 * the controller's own floor; Anvil here does real Redfish power and boot
 * calls (with sushy-tools' 1–11 s power delay) and a real agent exchange.
 *
 * Each row also carries the machine's 1-minute load average before and
 * after the run (the benchmark shares its 2 cores with whatever else runs).
 * `--cpu-prof DIR` writes the manager's V8 CPU profile there on stop.
 *
 *   npx tsx bench/fleet.ts [--hosts 50] [--hosts 100,500,1000] [--provisioning-limit 20] [--cpu-prof DIR]
 */
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import { createHash, randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { fleetInventory } from "../e2e/demo/inventory.js";
import { startControlPlane, type ControlPlane } from "../e2e/framework/control-plane.js";
import { startManagerProcess, type ManagerProcess } from "../e2e/framework/manager-process.js";
import { REPO_ROOT } from "../e2e/framework/peers.js";
import { startSimAgent, type SimAgent } from "../e2e/framework/sim-agent.js";
import { startSushyTools, type SushyTools } from "../e2e/framework/sushy-tools.js";
import { procFigures, quantile } from "./measure.js";

const { values } = parseArgs({
  options: { hosts: { type: "string", default: "50" }, "provisioning-limit": { type: "string", default: "20" }, "cpu-prof": { type: "string" } },
});
const CPU_PROF = values["cpu-prof"];
const SIZES = (values.hosts ?? "50").split(",").map((s) => Number(s.trim()));
if (SIZES.some((n) => !Number.isInteger(n) || n < 1 || n > 5000)) throw new Error("--hosts takes integers 1-5000, comma-separated");
const LIMIT = Number(values["provisioning-limit"]);
const SHARD = 100;
const ANCHOR_SECONDS_PER_HOST = 6;
const NS = "bench";
const PASSWORD = randomBytes(12).toString("base64url");

interface Row {
  readonly hosts: number;
  readonly availableS: number;
  readonly hostMedianS: number;
  readonly hostP90S: number;
  readonly provisionedS: number;
  readonly peakRssMiB: number;
  readonly cpuS: number;
  readonly deploysOk: number;
  readonly loadBefore: number;
  readonly loadAfter: number;
}

/** What the running size started, stopped in reverse on the way out (also on Ctrl-C: peers run in their own process groups). */
const stops: (() => Promise<unknown>)[] = [];
async function stopAll(): Promise<void> {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
}
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => void stopAll().finally(() => process.exit(130)));
}

async function runOnce(n: number): Promise<Row> {
  const loadBefore = os.loadavg()[0] ?? 0;
  const dir = await mkdtemp(path.join(os.tmpdir(), "anvil-bench-fleet-"));
  stops.push(() => rm(dir, { recursive: true, force: true }));
  try {
    const cp: ControlPlane = await startControlPlane();
    stops.push(() => cp.stop());
    await cp.kubectl(["apply", "-k", path.join(REPO_ROOT, "manifests/crd")]);
    await cp.kubectl(["wait", "--for=condition=Established", "crd/baremetalhosts.metal3.io", "crd/hardwaredata.metal3.io", "--timeout=60s"]);
    await cp.kubectl(["create", "namespace", "anvil-system"]);
    await cp.kubectl(["create", "namespace", NS]);

    const shards: SushyTools[] = [];
    for (let i = 0; i < n; i += SHARD) {
      const count = Math.min(SHARD, n - i);
      const s = await startSushyTools({ systems: Array.from({ length: count }, (_, j) => ({ name: `node-${i + j}` })), auth: { username: "admin", password: PASSWORD } });
      stops.push(() => s.stop());
      shards.push(s);
    }
    const image = randomBytes(1 << 20);
    const server = http.createServer((_req, res) => void res.writeHead(200, { "Content-Length": image.length }).end(image));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const imageUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/os.img`;

    const manager: ManagerProcess = await startManagerProcess({
      kubeconfig: cp.kubeconfigPath,
      dir,
      extraArgs: [`--provisioning-limit=${LIMIT}`, "--kube-api-qps=100", "--kube-api-burst=200"],
      ...(CPU_PROF !== undefined ? { nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${path.resolve(CPU_PROF)}`] } : {}),
    });
    stops.push(() => manager.stop(10_000));
    await manager.leading(60_000);
    const pid = manager.current.child.pid!;
    const sims: SimAgent[] = shards.map((s) =>
      startSimAgent({
        redfishUrl: s.url,
        auth: { username: "admin", password: PASSWORD },
        systems: s.systems.map((x) => ({ path: x.path, name: x.name, mac: x.mac })),
        bootUrl: manager.bootUrl,
        pollMs: 1000,
        progressSteps: 3,
        progressStepMs: 500,
      }),
    );
    stops.push(() => Promise.all(sims.map((s) => s.stop())));

    const reachedAt = new Map<string, number>();
    const createdAt = new Map<string, number>();
    const waitAll = async (state: string, timeoutMs: number): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        // Three columns instead of the whole objects: 1000 hosts' JSON is megabytes a round.
        const { stdout } = await cp.kubectl(["get", "bmh", "-n", NS, "--no-headers", "-o", "custom-columns=N:.metadata.name,S:.status.provisioning.state,C:.metadata.creationTimestamp"]);
        const items = stdout
          .split("\n")
          .filter((l) => l.trim() !== "")
          .map((l) => l.trim().split(/\s+/))
          .map(([name = "", st = "", created = ""]) => ({ metadata: { name, creationTimestamp: created }, status: { provisioning: { state: st } } }));
        for (const h of items) {
          createdAt.set(h.metadata.name, Date.parse(h.metadata.creationTimestamp));
          if (h.status?.provisioning?.state === state && !reachedAt.has(h.metadata.name)) reachedAt.set(h.metadata.name, Date.now());
        }
        if (items.length === n && items.every((h) => h.status?.provisioning?.state === state)) return;
        if (Date.now() > deadline) {
          const counts = new Map<string, number>();
          for (const h of items) counts.set(h.status.provisioning.state, (counts.get(h.status.provisioning.state) ?? 0) + 1);
          throw new Error(`${n} hosts: not all ${state} after ${timeoutMs / 1000} s (${[...counts].map(([k, v]) => `${k || "none"} ${v}`).join(", ")}; load ${os.loadavg()[0]?.toFixed(1)})`);
        }
        await sleep(n > 200 ? 2000 : 1000);
      }
    };

    const inventory = shards.flatMap((s) =>
      fleetInventory(
        s.systems.map((x) => ({ id: x.id, name: x.name, bootMac: x.mac })),
        { redfishBase: s.url, namespace: NS, username: "admin", password: PASSWORD },
      ),
    );
    const tApply = Date.now();
    // 100 manifests (50 hosts with their Secrets) a call: a 500-host run at load 28 saw one 200-manifest
    // apply outlive kubectl's 60 s bound while the manager was already at work on the first batches.
    for (let i = 0; i < inventory.length; i += 100) {
      await cp.kubectl(["apply", "-f", "-"], { input: inventory.slice(i, i + 100).map((m) => `---\n${stringify(m)}`).join(""), timeoutMs: 180_000 });
    }
    await waitAll("available", Math.max(600_000, n * 3_000));
    const tAvailable = Date.now();
    process.stdout.write(`  ${n} hosts available after ${((tAvailable - tApply) / 1000).toFixed(1)} s (load ${os.loadavg()[0]?.toFixed(1)})\n`);
    // creationTimestamp has whole seconds; the per-host figure is rounded accordingly.
    const perHost = [...reachedAt].map(([name, at]) => (at - (createdAt.get(name) ?? tApply)) / 1000);

    const sha = createHash("sha256").update(image).digest("hex");
    const patch = JSON.stringify({ spec: { image: { url: imageUrl, checksum: sha, checksumType: "sha256", format: "raw" } } });
    const tImage = Date.now();
    const names = [...reachedAt.keys()];
    for (let i = 0; i < names.length; i += 20) {
      await Promise.all(names.slice(i, i + 20).map((name) => cp.kubectl(["patch", "bmh", "-n", NS, name, "--type=merge", "-p", patch])));
    }
    reachedAt.clear();
    await waitAll("provisioned", Math.max(600_000, n * 3_000));
    const tProvisioned = Date.now();
    const figures = await procFigures(pid);
    const deploysOk = sims.reduce((acc, s) => acc + [...s.deploys.values()].filter((d) => d.length === 1 && d[0]?.ok === true).length, 0);
    return {
      hosts: n,
      availableS: (tAvailable - tApply) / 1000,
      hostMedianS: quantile(perHost, 0.5),
      hostP90S: quantile(perHost, 0.9),
      provisionedS: (tProvisioned - tImage) / 1000,
      ...figures,
      deploysOk,
      loadBefore,
      loadAfter: os.loadavg()[0] ?? 0,
    };
  } finally {
    await stopAll();
  }
}

const rows: Row[] = [];
for (const n of SIZES) {
  process.stdout.write(`fleet bench: ${n} hosts, provisioning limit ${LIMIT}...\n`);
  rows.push(await runOnce(n));
}
const f = (x: number, d = 1): string => x.toFixed(d);
process.stdout.write(
  [
    "",
    `anchor: Metal3 BMO test mode, registering→available ≈ ${ANCHOR_SECONDS_PER_HOST} s per host ("Scaling to 1000 clusters, part 1", metal3.io, 2023-05-05)`,
    "hosts | apply→all available s | host registering→available median / p90 s | vs anchor (6 s ÷ median) | available hosts/min | image→all provisioned s | provisioned hosts/min | manager peak RSS MiB | manager CPU s | deployed once | load before / after",
    ...rows.map((r) =>
      [
        r.hosts,
        f(r.availableS),
        `${f(r.hostMedianS)} / ${f(r.hostP90S)}`,
        `${f(ANCHOR_SECONDS_PER_HOST / r.hostMedianS, 2)}×`,
        f((r.hosts * 60) / r.availableS),
        f(r.provisionedS),
        f((r.hosts * 60) / r.provisionedS),
        f(r.peakRssMiB),
        f(r.cpuS),
        `${r.deploysOk}/${r.hosts}`,
        `${f(r.loadBefore)} / ${f(r.loadAfter)}`,
      ].join(" | "),
    ),
    "",
  ].join("\n"),
);
