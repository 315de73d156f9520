import { describe, expect, it } from "vitest";
import { ErrorType, OperationalStatus } from "../../api/index.js";
import { DEFAULT_TIMING } from "./host-scope.js";
import { HostWorld, S } from "./host-world.js";

const IMAGE = { url: "http://192.0.2.5/img.raw", checksum: "abc" };

/** Steps until `pred` holds; bounded so a stuck host fails the test instead of hanging it. */
async function until(w: HostWorld, pred: (w: HostWorld) => boolean, maxSteps = 400): Promise<void> {
  for (let i = 0; i < maxSteps && !pred(w); i++) await w.step();
  expect(pred(w), `stuck in ${w.state}: ${w.host.status?.errorMessage ?? ""}`).toBe(true);
}

describe("an agent that takes a job and dies", () => {
  it.each([
    { purpose: "inspect" as const, errorType: ErrorType.Inspection, to: S.Available },
    { purpose: "deploy" as const, errorType: ErrorType.Provisioning, to: S.Provisioned },
    { purpose: "wipe" as const, errorType: ErrorType.Provisioning, to: S.Available },
  ])("fails its $purpose job after the silence timeout with $errorType, and a fresh attempt reaches $to", async ({ purpose, errorType, to }) => {
    const w = new HostWorld({ spec: { inspectionMode: "agent" } });
    if (purpose !== "inspect") {
      await w.runTo(S.Available, 80);
      w.edit((h) => (h.spec.image = { ...IMAGE }));
      if (purpose === "wipe") {
        await w.runTo(S.Provisioned, 80);
        w.edit((h) => delete h.spec.image);
      }
    }
    w.provisioner.dieNext(purpose);
    const startedBefore = w.provisioner.startedOf(purpose);
    const t0 = w.nowMs;
    await until(w, (x) => x.host.status?.operationalStatus === OperationalStatus.Error);
    expect(w.host.status?.errorType).toBe(errorType);
    expect(w.host.status?.errorMessage).toMatch(new RegExp(`^${purpose}: the agent took the job but has not reported for \\d+ s$`));
    expect(w.nowMs - t0).toBeGreaterThan(DEFAULT_TIMING.agentSilenceTimeoutMs);
    await until(w, (x) => x.state === to && x.host.status?.operationalStatus === OperationalStatus.OK);
    expect(w.provisioner.startedOf(purpose) - startedBefore).toBe(2);
  });

  it("is not timed out while it keeps reporting within the limit", async () => {
    const w = new HostWorld({ spec: { inspectionMode: "agent" } });
    w.provisioner.runningPolls = 30;
    await w.runTo(S.Available, 120);
    expect(w.host.status?.errorCount).toBe(0);
    expect(w.provisioner.startedOf("inspect")).toBe(1);
  });
});
