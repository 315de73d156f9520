import { describe, expect, it } from "vitest";
import { setTimeout as sleep } from "node:timers/promises";
import { PerKeyBackoff } from "./backoff.js";
import { WorkQueue, type ReconcileOutcome } from "./work-queue.js";

const done: ReconcileOutcome = { kind: "done" };

/** Runs the queue until `until()` holds or 2 s pass, then stops it. */
async function drive(queue: WorkQueue, reconcile: Parameters<WorkQueue["run"]>[0], until: () => boolean): Promise<void> {
  const ac = new AbortController();
  const running = queue.run(reconcile, ac.signal);
  const deadline = Date.now() + 2_000;
  while (!until() && Date.now() < deadline) await sleep(5);
  ac.abort();
  await running;
}

describe("PerKeyBackoff", () => {
  it.each([
    [1, 100],
    [2, 200],
    [3, 400],
    [4, 800],
    [5, 1_000],
    [60, 1_000],
  ])("after %i failures waits %i ms (base 100, cap 1000, no jitter)", (n, expected) => {
    const b = new PerKeyBackoff({ baseMs: 100, maxMs: 1_000, jitter: 0 });
    let last = 0;
    for (let i = 0; i < n; i++) last = b.next("k");
    expect(last).toBe(expected);
  });

  it("keeps separate counts per key and forgets a key on reset", () => {
    const b = new PerKeyBackoff({ baseMs: 10, maxMs: 1_000, jitter: 0 });
    b.next("a");
    b.next("a");
    expect(b.next("b")).toBe(10);
    b.reset("a");
    expect(b.next("a")).toBe(10);
  });

  it("refuses a cap below the base", () => {
    expect(() => new PerKeyBackoff({ baseMs: 10, maxMs: 5 })).toThrow(/baseMs <= maxMs/);
  });
});

describe("WorkQueue", () => {
  it("processes a key added many times while queued only once", async () => {
    const q = new WorkQueue({ concurrency: 2 });
    for (let i = 0; i < 10; i++) q.add("ns/host-0");
    q.add("ns/host-1");
    const seen: string[] = [];
    await drive(q, async (key) => (seen.push(key), done), () => seen.length >= 2);
    await sleep(20);
    expect(seen.sort()).toEqual(["ns/host-0", "ns/host-1"]);
  });

  it("never runs two workers on one key, and reruns a key added during its reconcile once", async () => {
    const q = new WorkQueue({ concurrency: 4 });
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    q.add("k");
    await drive(
      q,
      async (key) => {
        active++;
        maxActive = Math.max(maxActive, active);
        runs++;
        if (runs === 1) for (let i = 0; i < 5; i++) q.add(key);
        await sleep(20);
        active--;
        return done;
      },
      () => runs >= 2 && active === 0,
    );
    expect(maxActive).toBe(1);
    expect(runs).toBe(2);
  });

  it("retries a failing key with growing delays and resets them after a success", async () => {
    const q = new WorkQueue({ concurrency: 1, backoff: { baseMs: 10, maxMs: 1_000, jitter: 0 } });
    const times: number[] = [];
    q.add("k");
    await drive(
      q,
      async () => {
        times.push(Date.now());
        return times.length < 4 ? { kind: "error", error: new Error("bmc down") } : done;
      },
      () => times.length >= 4,
    );
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(9);
    expect(gaps[1]).toBeGreaterThanOrEqual(19);
    expect(gaps[2]).toBeGreaterThanOrEqual(39);
    expect(q.failures("k")).toBe(0);
  });

  it("treats a thrown exception like an error outcome", async () => {
    const results: string[] = [];
    const q = new WorkQueue({ concurrency: 1, backoff: { baseMs: 5, maxMs: 5, jitter: 0 }, onResult: (_k, o) => results.push(o.kind) });
    q.add("k");
    let n = 0;
    await drive(
      q,
      async () => {
        if (++n === 1) throw new Error("boom");
        return done;
      },
      () => results.length >= 2,
    );
    expect(results).toEqual(["error", "done"]);
  });

  it("requeues a key after the delay its reconcile asked for", async () => {
    const q = new WorkQueue({ concurrency: 1 });
    const times: number[] = [];
    q.add("k");
    await drive(
      q,
      async () => {
        times.push(Date.now());
        return times.length === 1 ? { kind: "requeue", afterMs: 30 } : done;
      },
      () => times.length >= 2,
    );
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(29);
  });

  it("keeps the earlier of two pending delayed adds of one key", async () => {
    const q = new WorkQueue({ concurrency: 1 });
    q.addAfter("k", 500);
    q.addAfter("k", 10);
    q.addAfter("k", 400);
    const seen: number[] = [];
    const t0 = Date.now();
    await drive(q, async () => (seen.push(Date.now() - t0), done), () => seen.length >= 1);
    expect(seen[0]).toBeLessThan(300);
  });

  it("runs other keys while a reconcile waits with its slot released, and keeps that key locked", async () => {
    const q = new WorkQueue({ concurrency: 1 });
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const log: string[] = [];
    let slowRuns = 0;
    q.add("slow");
    q.add("fast-1");
    q.add("fast-2");
    await drive(
      q,
      async (key, _signal, ctx) => {
        if (key !== "slow") return (log.push(key), done);
        slowRuns++;
        if (slowRuns === 1) {
          q.add("slow"); // an add while locked runs once, after this reconcile
          await ctx!.released(() => gate);
        }
        log.push(`${key}-${slowRuns}`);
        return done;
      },
      () => {
        if (log.includes("fast-2")) open();
        return log.length >= 4;
      },
    );
    expect(log).toEqual(["fast-1", "fast-2", "slow-1", "slow-2"]);
  });

  it("never has more reconciles computing than its concurrency, and gives a slot back to a returning reconcile before a queued key", async () => {
    const q = new WorkQueue({ concurrency: 2 });
    let computing = 0;
    let most = 0;
    const order: string[] = [];
    for (const k of ["a", "b", "c", "d", "e", "f"]) q.add(k);
    const work = async (): Promise<void> => {
      computing++;
      most = Math.max(most, computing);
      await sleep(5);
      computing--;
    };
    await drive(
      q,
      async (key, _signal, ctx) => {
        await work();
        await ctx!.released(() => sleep(key === "a" ? 1 : 30));
        order.push(`${key} back`);
        await work();
        return done;
      },
      () => order.length >= 6,
    );
    expect(most).toBeLessThanOrEqual(2);
    expect(order.indexOf("a back")).toBeLessThan(order.length - 1);
    expect(q.inFlight).toEqual({ busy: 0, parked: 0 });
  });

  it("releases a slot once for parallel released waits in one reconcile", async () => {
    const q = new WorkQueue({ concurrency: 1 });
    const seen: string[] = [];
    q.add("k");
    q.add("other");
    await drive(
      q,
      async (key, _signal, ctx) => {
        if (key === "k") await Promise.all([ctx!.released(() => sleep(20)), ctx!.released(() => sleep(40))]);
        seen.push(key);
        return done;
      },
      () => seen.length >= 2,
    );
    expect(seen).toEqual(["other", "k"]);
    expect(q.inFlight).toEqual({ busy: 0, parked: 0 });
  });

  it("refuses a concurrency below one", () => {
    expect(() => new WorkQueue({ concurrency: 0 })).toThrow(/concurrency/);
  });
});
