/**
 * Leader election between Managers on one real kube-apiserver: only the
 * leader reconciles; a leader that stops renewing (as after SIGKILL) is
 * replaced after the lease duration; a graceful stop hands over at once; a
 * leader whose Lease is taken stops reconciling within its renew deadline.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startControlPlane, type ControlPlane } from "../../e2e/framework/control-plane.js";
import { eventually, startProcess, type Supervised } from "../../e2e/framework/process.js";
import type { Lease } from "./leader-election.js";
import { Manager } from "./manager.js";
import { ConfigMapKind, LeaseKind, type KubeObject } from "./object.js";
import { ResourceClient } from "./resource-client.js";
import { Transport } from "./transport.js";

const LEASE = { namespace: "default", name: "anvil-test-manager", leaseDurationMs: 4_000, renewDeadlineMs: 3_000, retryPeriodMs: 500 };

interface Replica {
  readonly id: string;
  readonly mgr: Manager;
  readonly stop: AbortController;
  readonly done: Promise<void>;
  readonly reconciled: string[];
}

/** Polled often: the takeover and step-down times below are measured by these waits. */
const POLL_MS = 25;

describe("leader election between managers", () => {
  let cp: ControlPlane;
  const replicas: Replica[] = [];

  function replica(id: string, releaseOnCancel = true): Replica {
    const mgr = new Manager({
      kubeConfig: cp.kubeConfig(),
      probes: { port: 0 },
      resyncMs: 0,
      leaderElection: { ...LEASE, identity: id, releaseOnCancel },
    });
    const reconciled: string[] = [];
    const cms = mgr.informer<KubeObject>(ConfigMapKind, { labelSelector: "anvil.test/le=yes" });
    mgr.addController({ name: "cm", for: cms, reconcile: async (key) => (reconciled.push(key), { kind: "done" }) });
    const stop = new AbortController();
    const r = { id, mgr, stop, done: mgr.start(stop.signal), reconciled };
    replicas.push(r);
    return r;
  }

  const leaseHolder = async (): Promise<string | undefined> =>
    (await replicas[0]!.mgr.client<Lease>(LeaseKind).get("default", LEASE.name)).spec?.holderIdentity;

  beforeAll(async () => {
    cp = await startControlPlane();
  });
  afterAll(async () => {
    for (const r of replicas) r.stop.abort();
    await Promise.all(replicas.map((r) => r.done.catch(() => undefined)));
    await cp?.stop();
  });

  it("lets exactly one of two replicas reconcile", async () => {
    const a = replica("replica-a", false);
    await eventually("a to lead", () => a.mgr.isLeader(), { timeoutMs: 10_000, intervalMs: POLL_MS });
    const b = replica("replica-b");
    await eventually("b's caches", () => b.mgr.hasSynced(), { timeoutMs: 10_000, intervalMs: POLL_MS });
    const core = a.mgr.client<KubeObject>(ConfigMapKind);
    for (let i = 0; i < 5; i++) await core.create({ metadata: { name: `le-${i}`, namespace: "default", labels: { "anvil.test/le": "yes" } } });
    await eventually("a to reconcile all five", () => new Set(a.reconciled).size === 5, { timeoutMs: 10_000, intervalMs: POLL_MS });
    await sleep(1_000);
    expect(b.mgr.isLeader()).toBe(false);
    expect(b.reconciled).toEqual([]);
    expect(await leaseHolder()).toBe("replica-a");
    // A healthy standby is ready: it can take over at any moment.
    expect((await fetch(`http://127.0.0.1:${b.mgr.probeAddress?.port}/readyz`)).status).toBe(200);
  });

  it("hands over after about the lease duration when the leader stops renewing without releasing", async () => {
    const [a, b] = replicas as [Replica, Replica];
    // What a SIGKILL looks like from outside: no release, no more renewals.
    a.stop.abort();
    const stoppedAt = Date.now();
    await a.done;
    expect(await leaseHolder()).toBe("replica-a");
    await eventually("b to lead", () => b.mgr.isLeader(), { timeoutMs: LEASE.leaseDurationMs * 3, intervalMs: POLL_MS });
    const took = Date.now() - stoppedAt;
    console.log(`standby took over ${took} ms after the leader stopped renewing (lease ${LEASE.leaseDurationMs} ms)`);
    // b counts the lease from when it last saw a renewal, at most ~1.1 s before a stopped.
    // Not before the lease runs out; how soon after is bounded by the poll above (three leases), not asserted to the
    // millisecond: a loaded machine delays the standby's next try.
    expect(took).toBeGreaterThan(LEASE.leaseDurationMs - 2 * 2.2 * LEASE.retryPeriodMs);
    expect(await leaseHolder()).toBe("replica-b");
    const core = b.mgr.client<KubeObject>(ConfigMapKind);
    await core.create({ metadata: { name: "le-after-b", namespace: "default", labels: { "anvil.test/le": "yes" } } });
    await eventually("b to reconcile", () => b.reconciled.includes("default/le-after-b"), { timeoutMs: 10_000, intervalMs: POLL_MS });
  });

  it("hands over at once when the leader stops gracefully and releases the Lease", async () => {
    const b = replicas[1]!;
    const c = replica("replica-c");
    await eventually("c's caches", () => c.mgr.hasSynced(), { timeoutMs: 10_000, intervalMs: POLL_MS });
    b.stop.abort();
    const stoppedAt = Date.now();
    await b.done;
    await eventually("c to lead", () => c.mgr.isLeader(), { timeoutMs: LEASE.leaseDurationMs, intervalMs: POLL_MS });
    const took = Date.now() - stoppedAt;
    console.log(`standby took over ${took} ms after a graceful release`);
    expect(took).toBeLessThan(LEASE.leaseDurationMs - 1_000);
    const lease = await c.mgr.client<Lease>(LeaseKind).get("default", LEASE.name);
    expect(lease.spec).toMatchObject({ holderIdentity: "replica-c", leaseTransitions: 2 });
  });

  it("stops reconciling within the renew deadline when someone else takes the Lease", async () => {
    const c = replicas[2]!;
    const leases = c.mgr.client<Lease>(LeaseKind);
    const current = await leases.get("default", LEASE.name);
    const now = new Date().toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
    await leases.update({ ...current, spec: { ...current.spec, holderIdentity: "intruder", leaseDurationSeconds: 30, renewTime: now } });
    const lostAt = Date.now();
    await eventually("c to step down", () => !c.mgr.isLeader(), { timeoutMs: LEASE.renewDeadlineMs + 3 * LEASE.retryPeriodMs, intervalMs: POLL_MS });
    const took = Date.now() - lostAt;
    console.log(`leader stepped down ${took} ms after losing its Lease (renew deadline ${LEASE.renewDeadlineMs} ms)`);
    const before = c.reconciled.length;
    const core = c.mgr.client<KubeObject>(ConfigMapKind);
    await core.create({ metadata: { name: "le-after-loss", namespace: "default", labels: { "anvil.test/le": "yes" } } });
    await sleep(1_000);
    expect(c.reconciled.slice(before)).not.toContain("default/le-after-loss");
  });

  describe("with replicas as separate processes", () => {
    const KILL_LEASE = { ...LEASE, name: "anvil-test-kill" };
    const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), "lease-replica.fixture.ts");
    const procs: Supervised[] = [];
    afterAll(async () => {
      await Promise.all(procs.map((p) => p.stop()));
    });

    const spawnReplica = (id: string): Supervised => {
      const p = startProcess({
        name: id,
        command: process.execPath,
        args: ["--import", "tsx", FIXTURE, cp.kubeconfigPath, id, JSON.stringify(KILL_LEASE)],
        logFile: path.join(cp.dir, `${id}.log`),
      });
      procs.push(p);
      return p;
    };

    it("lets the standby process take over after the leader is SIGKILLed", async () => {
      const transport = new Transport(cp.kubeConfig());
      procs.push({ stop: async () => transport.close() } as unknown as Supervised);
      const leases = new ResourceClient<Lease>(transport, LeaseKind);
      const cms = new ResourceClient<KubeObject>(transport, ConfigMapKind);
      const holder = async (): Promise<string | undefined> =>
        leases.get("default", KILL_LEASE.name).then(
          (l) => l.spec?.holderIdentity,
          () => undefined,
        );
      const stampOf = async (name: string): Promise<string | undefined> => (await cms.get("default", name)).metadata?.annotations?.["anvil.test/stamped-by"];
      const p1 = spawnReplica("proc-1");
      // Generous bounds: a tsx process starts in ~2 s on a quiet machine and in 30 s or more at load 30.
      await eventually("proc-1 to lead", async () => (await holder()) === "proc-1", { timeoutMs: 90_000, intervalMs: POLL_MS }).catch((e: unknown) => {
        throw new Error(`${String(e)}\n${p1.tail()}`);
      });
      const p2 = spawnReplica("proc-2");
      await cms.create({ metadata: { name: "stamp-1", namespace: "default", labels: { "anvil.test/stamp": "yes" } } });
      await eventually("proc-1 to stamp", async () => (await stampOf("stamp-1")) === "proc-1", { timeoutMs: 30_000, intervalMs: POLL_MS });
      await eventually("proc-2 to campaign", () => p2.tail(200).includes("replica synced"), { timeoutMs: 90_000, intervalMs: POLL_MS });
      await sleep(3 * KILL_LEASE.retryPeriodMs);
      process.kill(p1.child.pid!, "SIGKILL");
      const killedAt = Date.now();
      await p1.exited;
      await eventually("proc-2 to take the Lease", async () => (await holder()) === "proc-2", { timeoutMs: KILL_LEASE.leaseDurationMs * 4, intervalMs: POLL_MS }).catch((e: unknown) => {
        throw new Error(`${String(e)}\n${p2.tail()}`);
      });
      const took = Date.now() - killedAt;
      console.log(`standby process took over ${took} ms after SIGKILL of the leader (lease ${KILL_LEASE.leaseDurationMs} ms)`);
      // The standby must wait out the dead leader's lease (its last renewal came at most a retry period
      // before the kill); how soon after that it wins depends on the machine's load, and is bounded by the poll above.
      expect(took).toBeGreaterThan(KILL_LEASE.leaseDurationMs - 2 * 2.2 * KILL_LEASE.retryPeriodMs);
      await cms.create({ metadata: { name: "stamp-2", namespace: "default", labels: { "anvil.test/stamp": "yes" } } });
      await eventually("proc-2 to stamp", async () => (await stampOf("stamp-2")) === "proc-2", { timeoutMs: 30_000, intervalMs: POLL_MS });
    }, 360_000);
  });
});
