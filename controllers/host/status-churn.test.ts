import { describe, expect, it } from "vitest";
import { ProgressReason } from "./status-conditions.js";
import { HostWorld, S } from "./host-world.js";

const IMAGE = { url: "http://192.0.2.5/img.raw", checksum: "abc" };
const progressReason = (w: HostWorld): string | undefined => w.host.status?.conditions?.find((c) => c.type === "Progressing")?.reason;

/**
 * HostWorld stores each status as the API server returns it, keys sorted. A
 * reconcile that finds nothing new must not write it again: at 1000 hosts a
 * write per poll was most of the manager's API traffic.
 */
describe("a status read back unchanged", () => {
  it.each([
    ["an available host", async (w: HostWorld) => w.runTo(S.Available)],
    ["a provisioned host", async (w: HostWorld) => {
      await w.runTo(S.Available);
      w.edit((h) => (h.spec.image = { ...IMAGE }));
      await w.runTo(S.Provisioned);
    }],
    ["a host waiting for its ramdisk to boot", async (w: HostWorld) => {
      await w.runTo(S.Available);
      w.provisioner.silent = true;
      w.edit((h) => (h.spec.image = { ...IMAGE }));
      await w.runTo(S.Provisioning, 40, (x) => progressReason(x) === ProgressReason.RamdiskBooting);
    }],
    ["a host whose agent runs without news", async (w: HostWorld) => {
      await w.runTo(S.Available);
      w.provisioner.dieNext("deploy");
      w.edit((h) => (h.spec.image = { ...IMAGE }));
      await w.runTo(S.Provisioning, 40, (x) => progressReason(x) === ProgressReason.AgentRunning);
    }],
  ])("is not written again for %s", async (_name, reach) => {
    const w = new HostWorld();
    await reach(w);
    // The first reconcile in a state may have real news (power, timestamps); it settles within a few.
    let settled = false;
    for (let i = 0; i < 5 && !settled; i++) settled = (await w.step()).statusPatch === undefined;
    expect(settled).toBe(true);
    const before = w.host.status;
    const results = [await w.step(), await w.step(), await w.step()];
    expect(results.map((r) => r.statusPatch)).toEqual([undefined, undefined, undefined]);
    expect(w.host.status).toEqual(before);
  });
});
