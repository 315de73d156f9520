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
 * `--cpu-prof DIR` writes the manager's V8 CPU profile there on stop;
 * `--heap-snapshot DIR` writes a V8 heap snapshot of the manager once all
 * hosts are available and once all are provisioned.
 *
 * The manager runs as the release image runs it: compiled JavaScript
 * (`tsc -p tsconfig.build.json`, built once per bench run under .tmp/) with
 * plain node. `--manager tsx` runs the TypeScript through tsx instead, whose
 * loader alone holds about 200 MiB of the process's RSS.
 *
 * The manager does not have the 2 cores to itself: the emulators, the sim
 * (this process) and the API server with etcd run beside it, so each row
 * also gives their CPU seconds. A progress line (states and load) is printed
 * every 15 s; `--phase available` stops each size once all hosts are available.
 * `--sim polling` makes the sims poll every system each second (as the e2e
 * fleet test does) instead of following the emulators' notifications.
 * The manager runs with the shipped Deployment's NODE_OPTIONS
 * (e2e/framework/shipped-node-options.ts); `--node-options=...` replaces them
 * (written with `=`: the value starts with `--`), and `--node-options=` measures
 * V8's own heap sizing.
 *
 *   npx tsx bench/fleet.ts [--hosts 50] [--hosts 100,500,1000] [--provisioning-limit 20] [--cpu-prof DIR]
 *                          [--heap-snapshot DIR] [--manager built|tsx] [--phase available|provisioned]
 *                          [--sim notified|polling] [--concurrency 4] [--node-options="--max-old-space-size=N ..."]
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import { createHash, randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { fleetInventory } from "../e2e/demo/inventory.js";
import { startControlPlane, type ControlPlane } from "../e2e/framework/control-plane.js";
import type { Supervised } from "../e2e/framework/process.js";
import { startManagerProcess, type ManagerProcess } from "../e2e/framework/manager-process.js";
import { REPO_ROOT } from "../e2e/framework/peers.js";
import { shippedManagerNodeArgs } from "../e2e/framework/shipped-node-options.js";
import { startSimAgent, startSimNotifications, type SimAgent } from "../e2e/framework/sim-agent.js";
import { startSushyTools, type SushyTools } from "../e2e/framework/sushy-tools.js";
import { procFigures, quantile } from "./measure.js";

const { values } = parseArgs({
  options: {
    hosts: { type: "string", default: "50" },
    "provisioning-limit": { type: "string", default: "20" },
    "cpu-prof": { type: "string" },
    "heap-snapshot": { type: "string" },
    manager: { type: "string", default: "built" },
    phase: { type: "string", default: "provisioned" },
    sim: { type: "string", default: "notified" },
    concurrency: { type: "string", default: "4" },
    "node-options": { type: "string" },
  },
});
/** The shipped Deployment's NODE_OPTIONS unless given (`--node-options=` runs V8's defaults). */
const NODE_ARGS = values["node-options"] !== undefined ? values["node-options"].split(/\s+/).filter((a) => a !== "") : shippedManagerNodeArgs();
const CPU_PROF = values["cpu-prof"];
const HEAP_DIR = values["heap-snapshot"];
const MANAGER = values.manager;
if (MANAGER !== "built" && MANAGER !== "tsx") throw new Error("--manager takes built or tsx");
const PHASE = values.phase;
if (PHASE !== "available" && PHASE !== "provisioned") throw new Error("--phase takes available or provisioned");
const CONCURRENCY = Number(values.concurrency);
if (!Number.isInteger(CONCURRENCY) || CONCURRENCY < 1) throw new Error("--concurrency takes a positive integer");
const SIM = values.sim;
if (SIM !== "notified" && SIM !== "polling") throw new Error("--sim takes notified or polling");
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
  /** CPU seconds of what shares the machine with the manager during the run. */
  readonly others: { readonly sushy: number; readonly sim: number; readonly apiserver: number; readonly etcd: number };
  readonly deploysOk: number;
  readonly loadBefore: number;
  readonly loadAfter: number;
}

/** What the running size started, stopped in reverse on the way out (also on Ctrl-C: peers run in their own process groups). */
const stops: (() => Promise<unknown>)[] = [];
/** What the whole run keeps (the compiled manager), removed last. */
const stopsAtExit: (() => Promise<unknown>)[] = [];
/**
 * Every caller waits for every stop begun before it: on Ctrl-C the signal handler and the run's own
 * `finally` both stop, and the run's rejection must not end the process while the handler still stops peers.
 */
let stopping: Promise<void> = Promise.resolve();
function stopBatch(list: (() => Promise<unknown>)[]): Promise<void> {
  const batch = list.splice(0).reverse();
  stopping = stopping.then(async () => {
    for (const stop of batch) await stop().catch(() => undefined);
  });
  return stopping;
}
const stopAll = (): Promise<void> => stopBatch(stops);
const stopEverything = async (): Promise<void> => {
  await stopAll();
  await stopBatch(stopsAtExit);
};
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => void stopEverything().finally(() => process.exit(130)));
}

/** The manager as the release image runs it (Dockerfile: `tsc -p tsconfig.build.json`, `node dist/cmd/anvil.js`). */
async function buildManager(): Promise<string | undefined> {
  if (MANAGER === "tsx") return undefined;
  // Inside the repository (and git-ignored) so the compiled files resolve node_modules as dist/ would.
  const out = path.join(REPO_ROOT, ".tmp", `bench-fleet-dist-${process.pid}`);
  await mkdir(out, { recursive: true });
  stopsAtExit.push(() => rm(out, { recursive: true, force: true }));
  process.stdout.write(`building the manager into ${path.relative(REPO_ROOT, out)}...\n`);
  await new Promise<void>((resolve, reject) =>
    execFile(path.join(REPO_ROOT, "node_modules/.bin/tsc"), ["-p", "tsconfig.build.json", "--outDir", out], { cwd: REPO_ROOT, timeout: 600_000 }, (err, stdout) =>
      err ? reject(new Error(`tsc failed: ${err.message}\n${stdout.slice(0, 2000)}`)) : resolve(),
    ),
  );
  // As `make build` does: the native TFTP pump beside its loader (ADR 0028), when scripts/build-native.sh made it.
  const pump = path.join(REPO_ROOT, "pxe/tftp/native/build/tftp-pump.node");
  if (existsSync(pump)) {
    await mkdir(path.join(out, "pxe/tftp/native/build"), { recursive: true });
    await copyFile(pump, path.join(out, "pxe/tftp/native/build/tftp-pump.node"));
  }
  return path.join(out, "cmd/anvil.js");
}

/**
 * The API server's request counts (apiserver_request_total) by verb and
 * resource, for the requests per host a phase cost. Our manager is the only
 * client writing hosts, HardwareData, Events and agent-state Secrets.
 */
async function apiRequests(cp: ControlPlane): Promise<Map<string, number>> {
  const { stdout } = await cp.kubectl(["get", "--raw", "/metrics"], { timeoutMs: 60_000 });
  const out = new Map<string, number>();
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    const label = (k: string): string => new RegExp(`[{,]${k}="([^"]*)"`).exec(line)?.[1] ?? "";
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    const sub = label("subresource");
    const code = label("code");
    const key = `${label("verb")} ${label("resource")}${sub !== "" ? `/${sub}` : ""}${/^2/.test(code) ? "" : ` (${code})`}`;
    out.set(key, (out.get(key) ?? 0) + value);
  }
  return out;
}

function perHostRequests(before: Map<string, number>, after: Map<string, number>, n: number): string {
  return [...after]
    .map(([k, v]) => [k, (v - (before.get(k) ?? 0)) / n] as const)
    .filter(([k, v]) => v >= 0.05 && !k.startsWith("WATCH") && !k.startsWith("LIST") && !k.includes("leases"))
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(", ");
}

/**
 * Each host's name, creationTimestamp and provisioning state, read as the
 * API server's Table (the CRD's printer columns plus partial metadata)
 * rather than as whole objects: at 1000 hosts the objects are megabytes a
 * poll, and decoding them in kubectl every 2 s cost the shared cores more
 * than a fifth of one.
 */
async function hostStates(cp: ControlPlane): Promise<() => Promise<{ name: string; created: string; state: string }[]>> {
  const agent = await adminAgent(cp, 1);
  const url = new URL(`/apis/metal3.io/v1alpha1/namespaces/${NS}/baremetalhosts`, cp.server);
  interface Table {
    readonly columnDefinitions?: readonly { readonly name?: string }[];
    readonly rows?: readonly { readonly cells?: readonly unknown[]; readonly object?: { readonly metadata?: { readonly name?: string; readonly creationTimestamp?: string } } }[];
  }
  const get = (): Promise<Table> =>
    new Promise((resolve, reject) => {
      const req = https.get(url, { agent, headers: { Accept: "application/json;as=Table;v=v1;g=meta.k8s.io" }, timeout: 60_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          if (res.statusCode !== 200) return reject(new Error(`listing hosts: HTTP ${res.statusCode}`));
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Table);
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error("listing hosts: timed out")));
      req.on("error", reject);
    });
  return async () => {
    const t = await get();
    const col = (t.columnDefinitions ?? []).findIndex((c) => c.name === "State");
    if (col < 0) throw new Error("the BareMetalHost CRD has no State column");
    return (t.rows ?? []).map((r) => ({
      name: r.object?.metadata?.name ?? "",
      created: r.object?.metadata?.creationTimestamp ?? "",
      state: typeof r.cells?.[col] === "string" ? r.cells[col] : "",
    }));
  };
}

/** A keep-alive HTTPS agent holding the control plane's admin credentials; destroyed with the run. */
async function adminAgent(cp: ControlPlane, maxSockets: number): Promise<https.Agent> {
  const tls: https.RequestOptions = {};
  await cp.kubeConfig().applyToHTTPSOptions(tls);
  const agent = new https.Agent({ keepAlive: true, maxSockets, ca: tls.ca, cert: tls.cert, key: tls.key });
  stops.push(() => Promise.resolve(agent.destroy()));
  return agent;
}

/**
 * Merge-patches hosts straight over HTTPS with the admin certificate,
 * instead of a `kubectl patch` process per host: at 1000 hosts those
 * processes shared the 2 cores with the manager while it deployed.
 */
async function hostPatcher(cp: ControlPlane): Promise<(name: string, body: string) => Promise<void>> {
  const agent = await adminAgent(cp, 8);
  return (name, body) =>
    new Promise((resolve, reject) => {
      const url = new URL(`/apis/metal3.io/v1alpha1/namespaces/${NS}/baremetalhosts/${encodeURIComponent(name)}`, cp.server);
      const req = https.request(url, { method: "PATCH", agent, headers: { "Content-Type": "application/merge-patch+json" }, timeout: 60_000 }, (res) => {
        res.resume();
        res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`patching ${name}: HTTP ${res.statusCode}`))));
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error(`patching ${name}: timed out`)));
      req.on("error", reject);
      req.end(body);
    });
}

/** CPU seconds (utime + stime) of live processes, by name; 0 for one already gone. */
async function cpuOf(procs: readonly Supervised[]): Promise<number> {
  let sum = 0;
  for (const p of procs) if (p.child.pid !== undefined) sum += await procFigures(p.child.pid).then((f) => f.cpuS, () => 0);
  return sum;
}

async function runOnce(n: number, entry: string | undefined): Promise<Row> {
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

    // The sims learn of power changes from the emulators (as Metal3's fake-ipa does) instead of polling
    // every system each second, which at 1000 hosts cost the emulators more than the manager's calls did.
    const notifications = await startSimNotifications();
    stops.push(() => notifications.stop());
    const shards: SushyTools[] = [];
    for (let i = 0; i < n; i += SHARD) {
      const count = Math.min(SHARD, n - i);
      const s = await startSushyTools({
        systems: Array.from({ length: count }, (_, j) => ({ name: `node-${i + j}` })),
        auth: { username: "admin", password: PASSWORD },
        ...(SIM === "notified" ? { notifyUrl: notifications.url } : {}),
      });
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
      extraArgs: [`--provisioning-limit=${LIMIT}`, `--concurrency=${CONCURRENCY}`, "--kube-api-qps=100", "--kube-api-burst=200"],
      nodeArgs: [
        ...NODE_ARGS,
        ...(CPU_PROF !== undefined ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(CPU_PROF)}`] : []),
        ...(HEAP_DIR !== undefined ? ["--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${path.resolve(HEAP_DIR)}`] : []),
      ],
      ...(entry !== undefined ? { entry } : {}),
    });
    stops.push(() => manager.stop(10_000));
    await manager.leading(60_000);
    const pid = manager.current.child.pid!;
    const cpuBefore = { sushy: await cpuOf(shards.map((x) => x.process)), sim: process.cpuUsage(), cp: await Promise.all(cp.processes.map((p) => cpuOf([p]))) };
    const cpuFor = (name: string): Promise<number> => cpuOf(cp.processes.filter((p) => p.name === name));
    const cpFor = async (name: string): Promise<number> => (await cpuFor(name)) - cp.processes.reduce((acc, p, i) => acc + (p.name === name ? (cpuBefore.cp[i] ?? 0) : 0), 0);
    const snapshot = async (): Promise<void> => {
      if (HEAP_DIR === undefined) return;
      await mkdir(path.resolve(HEAP_DIR), { recursive: true });
      process.kill(pid, "SIGUSR2");
      // Writing the snapshot stops the manager's event loop; wait for /healthz to answer again.
      await sleep(2000);
      for (let i = 0; i < 60; i++) {
        if (await fetch(`${manager.probeUrl}/healthz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false)) return;
        await sleep(1000);
      }
    };
    const sims: SimAgent[] = shards.map((s) =>
      startSimAgent({
        redfishUrl: s.url,
        auth: { username: "admin", password: PASSWORD },
        systems: s.systems.map((x) => ({ path: x.path, name: x.name, mac: x.mac })),
        bootUrl: manager.bootUrl,
        ...(SIM === "notified" ? { notifications } : { pollMs: 1000 }),
        progressSteps: 3,
        progressStepMs: 500,
      }),
    );
    stops.push(() => Promise.all(sims.map((s) => s.stop())));

    const listHosts = await hostStates(cp);
    const reachedAt = new Map<string, number>();
    const createdAt = new Map<string, number>();
    const waitAll = async (state: string, timeoutMs: number): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      const started = Date.now();
      let nextReport = Date.now() + 15_000;
      for (;;) {
        const items = (await listHosts()).map((h) => ({ metadata: { name: h.name, creationTimestamp: h.created }, status: { provisioning: { state: h.state } } }));
        for (const h of items) {
          createdAt.set(h.metadata.name, Date.parse(h.metadata.creationTimestamp));
          if (h.status?.provisioning?.state === state && !reachedAt.has(h.metadata.name)) reachedAt.set(h.metadata.name, Date.now());
        }
        if (items.length === n && items.every((h) => h.status?.provisioning?.state === state)) return;
        const counts = new Map<string, number>();
        for (const h of items) counts.set(h.status.provisioning.state, (counts.get(h.status.provisioning.state) ?? 0) + 1);
        if (Date.now() >= nextReport) {
          nextReport += 15_000;
          const rss = await procFigures(pid).then((f) => f.peakRssMiB.toFixed(0), () => "?");
          process.stdout.write(
            `    ${((Date.now() - started) / 1000).toFixed(0)} s: ${[...counts].map(([k, v]) => `${k || "none"} ${v}`).join(", ")}; load ${os.loadavg()[0]?.toFixed(1)}, manager peak ${rss} MiB (${await memoryNow(manager.probeUrl)})\n`,
          );
        }
        if (Date.now() > deadline) {
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
    const requestsAtApply = await apiRequests(cp);
    const tApply = Date.now();
    // 100 manifests (50 hosts with their Secrets) a call: a 500-host run at load 28 saw one 200-manifest
    // apply outlive kubectl's 60 s bound while the manager was already at work on the first batches.
    // `create` (one POST per object; `apply` first GETs each) in 4 calls at once: the fleet arrives as fast
    // as the API server takes it, so the figure is the manager's, not kubectl's. Each call holds its
    // hosts' Secrets ahead of the hosts.
    const batches: string[] = [];
    for (let i = 0; i < inventory.length; i += 100) batches.push(inventory.slice(i, i + 100).map((m) => `---\n${stringify(m)}`).join(""));
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let b = batches.shift(); b !== undefined; b = batches.shift()) await cp.kubectl(["create", "-f", "-"], { input: b, timeoutMs: 180_000 });
      }),
    );
    const tApplied = Date.now();
    await waitAll("available", Math.max(600_000, n * 3_000));
    const tAvailable = Date.now();
    process.stdout.write(
      `  ${n} hosts available after ${((tAvailable - tApply) / 1000).toFixed(1)} s (the last create returned after ${((tApplied - tApply) / 1000).toFixed(1)} s; load ${os.loadavg()[0]?.toFixed(1)})\n`,
    );
    const requestsAtAvailable = await apiRequests(cp);
    process.stdout.write(`  API requests per host, apply → available: ${perHostRequests(requestsAtApply, requestsAtAvailable, n)}\n`);
    // creationTimestamp has whole seconds; the per-host figure is rounded accordingly.
    const perHost = [...reachedAt].map(([name, at]) => (at - (createdAt.get(name) ?? tApply)) / 1000);
    await snapshot();
    const others = async (): Promise<Row["others"]> => {
      const sim = process.cpuUsage(cpuBefore.sim);
      return {
        sushy: (await cpuOf(shards.map((x) => x.process))) - cpuBefore.sushy,
        sim: (sim.user + sim.system) / 1e6,
        apiserver: await cpFor("kube-apiserver"),
        etcd: await cpFor("etcd"),
      };
    };
    if (PHASE === "available") {
      const figures = await procFigures(pid);
      return {
        hosts: n,
        availableS: (tAvailable - tApply) / 1000,
        hostMedianS: quantile(perHost, 0.5),
        hostP90S: quantile(perHost, 0.9),
        provisionedS: Number.NaN,
        ...figures,
        others: await others(),
        deploysOk: 0,
        loadBefore,
        loadAfter: os.loadavg()[0] ?? 0,
      };
    }

    const sha = createHash("sha256").update(image).digest("hex");
    const patch = JSON.stringify({ spec: { image: { url: imageUrl, checksum: sha, checksumType: "sha256", format: "raw" } } });
    const tImage = Date.now();
    const names = [...reachedAt.keys()];
    const patchHost = await hostPatcher(cp);
    for (let i = 0; i < names.length; i += 20) {
      await Promise.all(names.slice(i, i + 20).map((name) => patchHost(name, patch)));
    }
    process.stdout.write(`  image set on ${names.length} hosts in ${((Date.now() - tImage) / 1000).toFixed(1)} s\n`);
    reachedAt.clear();
    await waitAll("provisioned", Math.max(600_000, n * 3_000));
    const tProvisioned = Date.now();
    process.stdout.write(`  ${n} hosts provisioned after ${((tProvisioned - tImage) / 1000).toFixed(1)} s (load ${os.loadavg()[0]?.toFixed(1)})\n`);
    process.stdout.write(`  API requests per host, available → provisioned: ${perHostRequests(requestsAtAvailable, await apiRequests(cp), n)}\n`);
    await snapshot();
    const figures = await procFigures(pid);
    const deploysOk = sims.reduce((acc, s) => acc + [...s.deploys.values()].filter((d) => d.length === 1 && d[0]?.ok === true).length, 0);
    for (const s of sims) {
      for (const [mac, d] of s.deploys) {
        if (d.length !== 1 || d[0]?.ok !== true) process.stdout.write(`  not deployed exactly once: ${mac}: ${d.map((x) => `${x.ok ? "ok" : `failed ${x.code ?? ""}`} at ${new Date(x.at).toISOString()}`).join(", ")}\n`);
      }
    }
    return {
      hosts: n,
      availableS: (tAvailable - tApply) / 1000,
      hostMedianS: quantile(perHost, 0.5),
      hostP90S: quantile(perHost, 0.9),
      provisionedS: (tProvisioned - tImage) / 1000,
      ...figures,
      others: await others(),
      deploysOk,
      loadBefore,
      loadAfter: os.loadavg()[0] ?? 0,
    };
  } finally {
    await stopAll();
  }
}

const rows: Row[] = [];
try {
  const entry = await buildManager();
  for (const n of SIZES) {
    process.stdout.write(`fleet bench: ${n} hosts, provisioning limit ${LIMIT}, concurrency ${CONCURRENCY}, manager ${MANAGER}...\n`);
    rows.push(await runOnce(n, entry));
  }
} finally {
  await stopEverything();
}
const f = (x: number, d = 1): string => x.toFixed(d);
process.stdout.write(
  [
    "",
    `anchor: Metal3 BMO test mode, registering→available ≈ ${ANCHOR_SECONDS_PER_HOST} s per host ("Scaling to 1000 clusters, part 1", metal3.io, 2023-05-05)`,
    `manager: ${MANAGER === "built" ? "compiled JavaScript (as the release image)" : "TypeScript through tsx"}, node options ${NODE_ARGS.length > 0 ? NODE_ARGS.join(" ") : "(V8 defaults)"}; sim ${SIM}; provisioning limit ${LIMIT}; --concurrency ${CONCURRENCY}; --kube-api-qps 100 --kube-api-burst 200; CPU s of the others = sushy-tools (all shards) / sim (this process) / kube-apiserver / etcd`,
    "hosts | apply→all available s | host registering→available median / p90 s | vs anchor (6 s ÷ median) | available hosts/min | image→all provisioned s | provisioned hosts/min | manager peak RSS MiB | manager CPU s | others' CPU s | deployed once | load before / after",
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
        `${f(r.others.sushy)} / ${f(r.others.sim)} / ${f(r.others.apiserver)} / ${f(r.others.etcd)}`,
        `${r.deploysOk}/${r.hosts}`,
        `${f(r.loadBefore)} / ${f(r.loadAfter)}`,
      ].join(" | "),
    ),
    "",
  ].join("\n"),
);

/** The manager's own memory figures from its /metrics (controllers/runtime/process-metrics.ts), in MiB. */
async function memoryNow(probeUrl: string): Promise<string> {
  try {
    const text = await (await fetch(`${probeUrl}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    const mib = (name: string): string => {
      const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
      return m?.[1] === undefined ? "?" : (Number(m[1]) / 2 ** 20).toFixed(0);
    };
    return `now ${mib("process_resident_memory_bytes")}, V8 heap used ${mib("nodejs_heap_size_used_bytes")} of ${mib("nodejs_heap_size_total_bytes")}, external ${mib("nodejs_external_memory_bytes")}`;
  } catch {
    return "metrics unavailable";
  }
}
