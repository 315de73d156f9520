import { describe, expect, it } from "vitest";
import { HostWorld, S } from "./host-world.js";

const IMAGE = { url: "http://192.0.2.5/img.raw", checksum: "abc" };

/** Drives a host from creation to provisioned; `crashAt(i)` says which reconciles lose their result. */
async function provisionWithCrashes(crashAt: (i: number) => boolean, maxSteps = 200): Promise<HostWorld> {
  const w = new HostWorld({ spec: { inspectionMode: "agent" } });
  w.provisioner.runningPolls = 2;
  for (let i = 0; i < maxSteps && w.state !== S.Provisioned; i++) {
    if (w.state === S.Available && w.host.spec.image === undefined) w.edit((h) => (h.spec.image = { ...IMAGE }));
    if (crashAt(i)) await w.crashedStep();
    else await w.step();
  }
  return w;
}

/** A small deterministic PRNG (mulberry32) so a failing seed can be replayed. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("resumability", () => {
  const baseline = provisionWithCrashes(() => false);

  it("provisions with one inspection and one deploy when nothing crashes", async () => {
    const w = await baseline;
    expect(w.state).toBe(S.Provisioned);
    expect(w.provisioner.startedOf("inspect")).toBe(1);
    expect(w.provisioner.startedOf("deploy")).toBe(1);
  });

  it.each(Array.from({ length: 20 }, (_, i) => i))("never deploys twice when the manager dies after reconcile %i", async (k) => {
    const w = await provisionWithCrashes((i) => i === k);
    expect(w.state).toBe(S.Provisioned);
    expect(w.provisioner.startedOf("deploy")).toBe(1);
    expect(w.provisioner.startedOf("inspect")).toBe(1);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])("never deploys twice when a third of the reconciles die at random (seed %i)", async (seed) => {
    const next = rng(seed);
    const w = await provisionWithCrashes(() => next() < 0.33);
    expect(w.state).toBe(S.Provisioned);
    expect(w.provisioner.startedOf("deploy")).toBe(1);
  });

  it.each(Array.from({ length: 12 }, (_, i) => i))("wipes once and returns to available when the manager dies after deprovisioning reconcile %i", async (k) => {
    const w = await provisionWithCrashes(() => false);
    w.edit((h) => delete h.spec.image);
    for (let i = 0; i < 60 && !(w.state === S.Available && i > 0); i++) {
      if (i === k) await w.crashedStep();
      else await w.step();
    }
    expect(w.state).toBe(S.Available);
    expect(w.provisioner.startedOf("wipe")).toBe(1);
    expect(w.provisioner.startedOf("deploy")).toBe(1);
  });

  it("re-running a provisioned host's reconcile many times changes nothing and deploys nothing", async () => {
    const w = await provisionWithCrashes(() => false);
    await w.step();
    const status = JSON.stringify(w.host.status);
    for (let i = 0; i < 10; i++) {
      const r = await w.step();
      expect(r.statusPatch).toBeUndefined();
    }
    expect(JSON.stringify(w.host.status)).toBe(status);
    expect(w.provisioner.startedOf("deploy")).toBe(1);
  });
});
