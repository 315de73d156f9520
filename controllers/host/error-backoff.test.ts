import { describe, expect, it } from "vitest";
import { OperationalStatus } from "../../api/index.js";
import { BmcErrorCode } from "../../bmc/errors.js";
import { errorBackoffMs } from "./error-backoff.js";
import { HostWorld, S } from "./host-world.js";

describe("error backoff", () => {
  it.each([
    [0, 0],
    [1, 10_000],
    [2, 20_000],
    [3, 40_000],
    [6, 320_000],
    [7, 600_000],
    [50, 600_000],
  ])("waits %i errors → %i ms", (count, ms) => {
    expect(errorBackoffMs(count)).toBe(ms);
  });

  it("doubles the requeue delay with each consecutive failure up to the cap", async () => {
    const w = new HostWorld();
    w.bmc.failNext("getPower", BmcErrorCode.Unreachable, { times: 1000 });
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await w.step();
      if (w.host.status?.operationalStatus === OperationalStatus.Error && r.statusPatch !== undefined) delays.push(r.requeueAfterMs ?? -1);
    }
    expect(delays.slice(0, 8)).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 600_000, 600_000]);
    expect(w.host.status?.errorCount).toBe(delays.length);
  });

  it("does not touch the BMC again while a host waits out its backoff", async () => {
    const w = new HostWorld();
    w.bmc.failNext("getPower", BmcErrorCode.Unreachable, { times: 1000 });
    await w.runTo("error", 10, (x) => x.host.status?.operationalStatus === OperationalStatus.Error);
    const calls = w.bmc.calls.length;
    w.nowMs = Date.parse(w.host.status?.lastUpdated ?? "") + 2_000;
    const early = await w.step();
    expect(w.bmc.calls.length).toBe(calls);
    expect(early.statusPatch).toBeUndefined();
    expect(early.requeueAfterMs).toBeGreaterThan(0);
    expect(early.requeueAfterMs).toBeLessThanOrEqual(10_000);
  });

  it("retries at once when the credentials Secret changes during the backoff", async () => {
    const w = new HostWorld();
    w.bmc.failNext("getPower", BmcErrorCode.AuthFailed, { times: 3 });
    await w.runTo("error", 10, (x) => x.host.status?.operationalStatus === OperationalStatus.Error);
    const calls = w.bmc.callsOf("getPower");
    w.nowMs = Date.parse(w.host.status?.lastUpdated ?? "") + 500;
    w.secret = { username: "admin", password: "other", version: "2" };
    await w.step();
    expect(w.bmc.callsOf("getPower")).toBe(calls + 1);
  });

  it("retries at once when the spec changes during the backoff", async () => {
    const w = new HostWorld();
    await w.runTo(S.Available);
    w.bmc.setPowerState("off");
    w.bmc.failNext("setPower", BmcErrorCode.BmcError, { times: 1 });
    await w.runTo("error", 10, (x) => x.host.status?.operationalStatus === OperationalStatus.Error);
    w.nowMs = Date.parse(w.host.status?.lastUpdated ?? "") + 500;
    w.edit((h) => (h.spec.online = false));
    const r = await w.step();
    expect(r.statusPatch?.operationalStatus).toBe(OperationalStatus.OK);
  });
});
