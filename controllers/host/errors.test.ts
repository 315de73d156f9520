import { describe, expect, it } from "vitest";
import { ErrorType, OperationalStatus } from "../../api/index.js";
import { BmcErrorCode } from "../../bmc/errors.js";
import { FixtureBmc } from "../../bmc/fixture/fixture-bmc.js";
import { HostWorld, S } from "./host-world.js";

const IMAGE = { url: "http://192.0.2.5/img.raw", checksum: "abc", checksumType: "sha256" as const };

async function provisioned(w: HostWorld): Promise<void> {
  await w.runTo(S.Available);
  w.edit((h) => (h.spec.image = { ...IMAGE }));
  await w.runTo(S.Provisioned);
}

interface FaultCase {
  readonly name: string;
  /** Brings the host to the state where the fault is injected. */
  readonly before?: (w: HostWorld) => Promise<void>;
  readonly inject: (w: HostWorld) => void;
  readonly inState: string;
  readonly errorType: string;
  readonly message: RegExp;
  readonly fix: (w: HostWorld) => void;
  readonly endState: string;
}

const cases: FaultCase[] = [
  {
    name: "a missing credentials Secret is a registration error that clears when the Secret appears",
    inject: (w) => (w.secret = undefined),
    inState: S.Registering,
    errorType: ErrorType.Registration,
    message: /Secret "node-0-bmc" not found/,
    fix: (w) => (w.secret = { username: "admin", password: "s3cr3t-Pa55word", version: "7" }),
    endState: S.Available,
  },
  {
    name: "a wrong password is a registration error that clears when the Secret is corrected",
    inject: (w) => w.bmc.failNext("getPower", BmcErrorCode.AuthFailed, { times: 1000 }),
    inState: S.Registering,
    errorType: ErrorType.Registration,
    message: /rejected the credentials in Secret "node-0-bmc"/,
    fix: (w) => {
      w.bmc = new FixtureBmc();
      w.secret = { username: "admin", password: "right-one", version: "2" };
    },
    endState: S.Available,
  },
  {
    name: "an unreachable BMC is a registration error that clears when the BMC answers again",
    inject: (w) => w.bmc.failNext("getPower", BmcErrorCode.Unreachable, { times: 3 }),
    inState: S.Registering,
    errorType: ErrorType.Registration,
    message: /BMC_UNREACHABLE/,
    fix: () => undefined,
    endState: S.Available,
  },
  {
    name: "a BMC refusing to power on an available host is a power management error that clears once it obeys",
    before: (w) => w.runTo(S.Available),
    inject: (w) => {
      w.bmc.setPowerState("off");
      w.bmc.failNext("setPower", BmcErrorCode.BmcError, { times: 2 });
    },
    inState: S.Available,
    errorType: ErrorType.PowerManagement,
    message: /powering on: BMC_ERROR/,
    fix: () => undefined,
    endState: S.Available,
  },
  {
    name: "a failed in-band inspection is an inspection error that clears on the next attempt",
    before: async (w) => {
      w.edit((h) => (h.spec.inspectionMode = "agent"));
      await w.runTo(S.Inspecting);
    },
    inject: (w) => w.provisioner.failNext("inspect", "NO_DISKS", "no block devices found"),
    inState: S.Inspecting,
    errorType: ErrorType.Inspection,
    message: /inspect failed: NO_DISKS: no block devices found/,
    fix: () => undefined,
    endState: S.Available,
  },
  {
    name: "a checksum mismatch reported by the agent is a provisioning error that clears on a retry",
    before: async (w) => {
      await w.runTo(S.Available);
      w.edit((h) => (h.spec.image = { ...IMAGE }));
      await w.runTo(S.Provisioning);
    },
    inject: (w) => w.provisioner.failNext("deploy", "CHECKSUM_MISMATCH", "sha256 of the image is 0f1e, expected abc"),
    inState: S.Provisioning,
    errorType: ErrorType.Provisioning,
    message: /deploy failed: CHECKSUM_MISMATCH/,
    fix: () => undefined,
    endState: S.Provisioned,
  },
  {
    name: "a deploy whose user-data Secret is missing is a provisioning error naming it, and deploys once the Secret appears",
    before: (w) => w.runTo(S.Available),
    inject: (w) => {
      w.deployInputsProblem = 'user data Secret "lab/node-0-user-data" not found';
      w.edit((h) => (h.spec.image = { ...IMAGE }));
    },
    inState: S.Provisioning,
    errorType: ErrorType.Provisioning,
    message: /deploy: user data Secret "lab\/node-0-user-data" not found/,
    fix: (w) => (w.deployInputsProblem = undefined),
    endState: S.Provisioned,
  },
  {
    name: "a failed wipe while deprovisioning is a provisioning error that clears on a retry",
    before: async (w) => {
      await provisioned(w);
      w.edit((h) => delete h.spec.image);
      await w.runTo(S.Deprovisioning);
    },
    inject: (w) => w.provisioner.failNext("wipe", "WIPE_FAILED", "wipefs: /dev/vda busy"),
    inState: S.Deprovisioning,
    errorType: ErrorType.Provisioning,
    message: /wipe failed: WIPE_FAILED/,
    fix: () => undefined,
    endState: S.Available,
  },
  {
    name: "a provisioned host whose Secret disappears shows a provisioned registration error and recovers without redeploying",
    before: provisioned,
    inject: (w) => (w.secret = undefined),
    inState: S.Provisioned,
    errorType: ErrorType.ProvisionedRegistration,
    message: /not found/,
    fix: (w) => (w.secret = { username: "admin", password: "s3cr3t-Pa55word", version: "9" }),
    endState: S.Provisioned,
  },
];

describe("errors are not states", () => {
  it.each(cases)("$name", async (c) => {
    const w = new HostWorld();
    await c.before?.(w);
    const deploysBefore = w.provisioner.startedOf("deploy");
    c.inject(w);
    await w.runTo("error", 20, (x) => x.host.status?.operationalStatus === OperationalStatus.Error);
    const st = w.host.status;
    expect(w.state).toBe(c.inState);
    expect(st?.errorType).toBe(c.errorType);
    expect(st?.errorMessage).toMatch(c.message);
    expect(st?.errorCount).toBeGreaterThan(0);
    expect(w.events.some((e) => e.type === "Warning" && e.message.includes(c.errorType))).toBe(true);
    c.fix(w);
    await w.runTo(c.endState, 40, (x) => x.state === c.endState && x.host.status?.operationalStatus === OperationalStatus.OK);
    expect(w.host.status?.errorType).toBeUndefined();
    expect(w.host.status?.errorMessage).toBe("");
    if (c.endState === S.Provisioned && c.inState === S.Provisioned) expect(w.provisioner.startedOf("deploy")).toBe(deploysBefore);
  });

  it("counts errors from 0 again once an available host's BMC that failed for a while answers and its power is steady", async () => {
    const w = new HostWorld();
    await w.runTo(S.Available);
    w.bmc.failNext("getPower", BmcErrorCode.BmcError, { times: 2 });
    await w.runTo("error", 20, (x) => x.host.status?.operationalStatus === OperationalStatus.Error);
    expect(w.host.status?.errorType).toBe(ErrorType.PowerManagement);
    expect(w.host.status?.errorMessage).toMatch(/reading power state: BMC_ERROR/);
    await w.runTo("steady", 20, (x) => x.host.status?.operationalStatus === OperationalStatus.OK && x.host.status.errorCount === 0);
    expect(w.state).toBe(S.Available);
    expect(w.host.status?.errorType).toBeUndefined();
  });

  it("boots no ramdisk for a deploy while its user-data Secret is missing, and leaves a running deploy alone", async () => {
    const w = new HostWorld();
    await w.runTo(S.Available);
    w.deployInputsProblem = 'user data Secret "lab/ud" not found';
    w.edit((h) => (h.spec.image = { ...IMAGE }));
    await w.runTo("error", 20, (x) => x.host.status?.operationalStatus === OperationalStatus.Error);
    expect(w.provisioner.startedOf("deploy")).toBe(0);
    w.deployInputsProblem = undefined;
    await w.runTo("deploy started", 40, (x) => x.provisioner.startedOf("deploy") === 1);
    // The Secret vanishes while the agent works: the deploy it already has goes on.
    w.deployInputsProblem = 'user data Secret "lab/ud" not found';
    await w.runTo(S.Provisioned, 40, (x) => x.state === S.Provisioned);
    expect(w.provisioner.startedOf("deploy")).toBe(1);
  });

  it("says at once that a deploy waits for its user-data Secret, and makes no error of a Secret that arrives within the grace", async () => {
    const w = new HostWorld();
    await w.runTo(S.Available);
    w.deployInputsProblem = 'user data Secret "lab/ud" not found';
    w.edit((h) => (h.spec.image = { ...IMAGE }));
    await w.runTo("waiting", 10, (x) => x.host.status?.conditions?.some((c) => c.type === "Progressing" && c.reason === "InputsMissing") === true);
    expect(w.host.status?.conditions?.find((c) => c.type === "Progressing")?.message).toBe('deploy: user data Secret "lab/ud" not found; the ramdisk is booted once it is there');
    expect(w.host.status?.errorType).toBeUndefined();
    w.deployInputsProblem = undefined;
    await w.runTo(S.Provisioned, 40, (x) => x.state === S.Provisioned);
    expect(w.results.some((r) => r.statusPatch?.errorType !== undefined)).toBe(false);
    expect(w.host.status?.conditions?.find((c) => c.type === "Progressing")?.status).toBe("False");
  });

  it("counts a failed deploy in provisioningFailCount and retries it as a new attempt", async () => {
    const w = new HostWorld();
    await w.runTo(S.Available);
    w.provisioner.failNext("deploy", "CHECKSUM_MISMATCH", "mismatch");
    w.edit((h) => (h.spec.image = { ...IMAGE }));
    await w.runTo("error", 20, (x) => x.host.status?.operationalStatus === OperationalStatus.Error);
    expect(w.host.status?.provisioningFailCount).toBe(1);
    await w.runTo(S.Provisioned);
    expect(w.provisioner.startedOf("deploy")).toBe(2);
    expect(new Set(w.provisioner.started.map((j) => j.key)).size).toBe(2);
    expect(w.host.status?.provisioningFailCount).toBe(0);
  });

  it("recovers from a failed deploy by deprovisioning when the image is corrected, then deploys the new image", async () => {
    const w = new HostWorld();
    await w.runTo(S.Available);
    w.provisioner.failNext("deploy", "CHECKSUM_MISMATCH", "mismatch", 100);
    w.edit((h) => (h.spec.image = { ...IMAGE }));
    await w.runTo("error", 20, (x) => x.host.status?.operationalStatus === OperationalStatus.Error);
    w.provisioner.failNext("deploy", "CHECKSUM_MISMATCH", "mismatch", 0);
    w.edit((h) => (h.spec.image = { ...IMAGE, checksum: "fixed" }));
    await w.runTo(S.Provisioned, 60);
    expect(w.host.status?.provisioning.image?.checksum).toBe("fixed");
    expect(w.provisioner.startedOf("wipe")).toBe(1);
  });
});

describe("a silent ramdisk", () => {
  it("waits for the ramdisk without power-cycling the host again, then reports an inspection error after the boot timeout", async () => {
    const w = new HostWorld({ spec: { inspectionMode: "agent" } });
    w.provisioner.silent = true;
    await w.runTo(S.Inspecting);
    await w.step();
    const boots = w.bmc.callsOf("setBootOverride");
    expect(boots).toBe(1);
    for (let i = 0; i < 5; i++) await w.step();
    expect(w.bmc.callsOf("setBootOverride")).toBe(boots);
    w.nowMs += 600_000;
    await w.runTo("error", 5, (x) => x.host.status?.operationalStatus === OperationalStatus.Error);
    expect(w.host.status?.errorType).toBe(ErrorType.Inspection);
    expect(w.host.status?.errorMessage).toMatch(/did not report within 600 s/);
    w.provisioner.silent = false;
    await w.runTo(S.Available);
  });

  it("boots the ramdisk again, once, when a new manager process finds a boot an earlier one started (it may have met no boot service)", async () => {
    const w = new HostWorld({ spec: { inspectionMode: "agent" } });
    w.provisioner.silent = true;
    await w.runTo(S.Inspecting);
    await w.step();
    expect(w.bmc.callsOf("setBootOverride")).toBe(1);
    w.nowMs += 30_000;
    w.processStartedAt = new Date(w.nowMs);
    w.nowMs += 1_000;
    await w.step();
    expect(w.bmc.callsOf("setBootOverride")).toBe(2);
    for (let i = 0; i < 5; i++) await w.step();
    expect(w.bmc.callsOf("setBootOverride")).toBe(2);
    expect(w.host.status?.operationalStatus).not.toBe(OperationalStatus.Error);
    w.provisioner.silent = false;
    await w.runTo(S.Available);
  });
});
