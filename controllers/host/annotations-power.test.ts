import { describe, expect, it, vi } from "vitest";
import { HostAnnotation, OperationalStatus } from "../../api/index.js";
import { HostWorld, S } from "./host-world.js";

const IMAGE = { url: "http://192.0.2.5/img.raw", checksum: "abc" };

async function inState(state: string): Promise<HostWorld> {
  const w = new HostWorld({ spec: state === S.ExternallyProvisioned ? { externallyProvisioned: true } : {} });
  await w.runTo(state === S.ExternallyProvisioned ? S.ExternallyProvisioned : S.Available);
  if (state === S.Provisioned) {
    w.edit((h) => (h.spec.image = { ...IMAGE }));
    await w.runTo(S.Provisioned);
  }
  await w.step();
  return w;
}

const STABLE = [S.Available, S.Provisioned, S.ExternallyProvisioned];

describe("online enforcement", () => {
  it.each(STABLE)("powers a %s host back on when it is found off and online is true", async (state) => {
    const w = await inState(state);
    w.bmc.setPowerState("off");
    await w.step();
    expect(await w.bmc.power.getPower()).toBe("on");
    expect(w.host.status?.poweredOn).toBe(true);
  });

  it.each(STABLE)("powers a %s host off, softly, when online is false", async (state) => {
    const w = await inState(state);
    w.edit((h) => (h.spec.online = false));
    await w.step();
    expect(await w.bmc.power.getPower()).toBe("off");
    expect(w.bmc.calls.filter((c) => c.operation === "setPower").length).toBeGreaterThan(0);
    await w.step();
    expect(w.host.status?.poweredOn).toBe(false);
  });

  it("looks at a stable host again after a minute so power drift is caught without a watch event", async () => {
    const w = await inState(S.Available);
    const r = await w.step();
    expect(r.requeueAfterMs).toBe(60_000);
  });
});

describe("reboot annotations", () => {
  it("powers the host off for reboot.metal3.io, drops the annotation, then powers it on", async () => {
    const w = await inState(S.Provisioned);
    w.edit((h) => (h.metadata.annotations = { ...h.metadata.annotations, [HostAnnotation.RebootPrefix]: "" }), { bumpGeneration: false });
    await w.step();
    expect(await w.bmc.power.getPower()).toBe("off");
    await w.step();
    expect(w.host.metadata.annotations?.[HostAnnotation.RebootPrefix]).toBeUndefined();
    await w.step();
    expect(await w.bmc.power.getPower()).toBe("on");
  });

  it("escalates a soft reboot to a hard power-off once the soft one has timed out", async () => {
    const w = await inState(S.Provisioned);
    w.edit((h) => (h.metadata.annotations = { ...h.metadata.annotations, [HostAnnotation.RebootPrefix]: "" }), { bumpGeneration: false });
    const setPower = vi.spyOn(w.bmc.power, "setPower");
    await w.step();
    w.bmc.setPowerState("on");
    await w.step();
    expect(setPower.mock.calls.map((c) => c[0])).toEqual(["off"]);
    w.nowMs += 181_000;
    await w.step();
    expect(setPower.mock.calls.map((c) => c[0])).toEqual(["off", "force-off"]);
    expect(await w.bmc.power.getPower()).toBe("off");
  });

  it("powers off hard at once when the annotation asks for mode hard", async () => {
    const w = await inState(S.Provisioned);
    w.edit((h) => (h.metadata.annotations = { ...h.metadata.annotations, "reboot.metal3.io/remediation": '{"mode":"hard"}' }), { bumpGeneration: false });
    const setPower = vi.spyOn(w.bmc.power, "setPower");
    await w.step();
    expect(setPower.mock.calls.map((c) => c[0])).toEqual(["force-off"]);
    expect(await w.bmc.power.getPower()).toBe("off");
    expect(w.host.status?.conditions?.find((c) => c.type === "Progressing")?.reason).not.toBe("SoftPowerOff");
  });

  it("keeps the host off until every keyed reboot annotation is removed", async () => {
    const w = await inState(S.Provisioned);
    w.edit((h) => (h.metadata.annotations = { ...h.metadata.annotations, "reboot.metal3.io/a": "", "reboot.metal3.io/b": "" }), { bumpGeneration: false });
    for (let i = 0; i < 3; i++) await w.step();
    expect(await w.bmc.power.getPower()).toBe("off");
    w.edit((h) => delete h.metadata.annotations?.["reboot.metal3.io/a"], { bumpGeneration: false });
    for (let i = 0; i < 3; i++) await w.step();
    expect(await w.bmc.power.getPower()).toBe("off");
    w.edit((h) => delete h.metadata.annotations?.["reboot.metal3.io/b"], { bumpGeneration: false });
    await w.step();
    expect(await w.bmc.power.getPower()).toBe("on");
  });
});

describe("host annotations", () => {
  it("re-inspects an available host annotated inspect.metal3.io and drops the annotation", async () => {
    const w = await inState(S.Available);
    const reads = w.bmc.callsOf("getInventory");
    w.edit((h) => (h.metadata.annotations = { ...h.metadata.annotations, [HostAnnotation.Inspect]: "" }), { bumpGeneration: false });
    await w.step();
    expect(w.state).toBe(S.Inspecting);
    expect(w.host.metadata.annotations?.[HostAnnotation.Inspect]).toBeUndefined();
    await w.runTo(S.Available);
    expect(w.bmc.callsOf("getInventory")).toBe(reads + 1);
  });

  it("does nothing at all to a paused host", async () => {
    const w = new HostWorld({ annotations: { [HostAnnotation.Paused]: "metal3.io/capm3" } });
    const r = await w.step();
    expect(r).toMatchObject({ statusPatch: undefined, requeueAfterMs: undefined, finalizer: "keep" });
    expect(w.bmc.calls).toEqual([]);
  });

  it("shows a detached host as detached and makes no BMC call, then resumes when the annotation goes", async () => {
    const w = await inState(S.Provisioned);
    w.edit((h) => (h.metadata.annotations = { ...h.metadata.annotations, [HostAnnotation.Detached]: "" }), { bumpGeneration: false });
    const calls = w.bmc.calls.length;
    w.bmc.setPowerState("off");
    await w.step();
    await w.step();
    expect(w.host.status?.operationalStatus).toBe(OperationalStatus.Detached);
    expect(w.bmc.calls.length).toBe(calls);
    w.edit((h) => delete h.metadata.annotations?.[HostAnnotation.Detached], { bumpGeneration: false });
    await w.step();
    expect(w.host.status?.operationalStatus).toBe(OperationalStatus.OK);
    expect(await w.bmc.power.getPower()).toBe("on");
  });

  it("ignores the detached annotation while a host is provisioning, as Metal3 does", async () => {
    const w = await inState(S.Available);
    w.provisioner.runningPolls = 5;
    w.edit((h) => (h.spec.image = { ...IMAGE }));
    await w.runTo(S.Provisioning);
    w.edit((h) => (h.metadata.annotations = { ...h.metadata.annotations, [HostAnnotation.Detached]: "" }), { bumpGeneration: false });
    await w.step();
    expect(w.host.status?.operationalStatus).toBe(OperationalStatus.OK);
    await w.runTo(S.Provisioned);
    await w.step();
    expect(w.host.status?.operationalStatus).toBe(OperationalStatus.Detached);
  });

  it("restores status from the status annotation after a move, drops it, and never re-provisions", async () => {
    const src = await inState(S.Provisioned);
    const saved = JSON.stringify(src.host.status);
    const w = new HostWorld({ annotations: { [HostAnnotation.Status]: saved }, spec: { image: { ...IMAGE } } });
    w.bmc.setPowerState("on");
    await w.step();
    expect(w.state).toBe(S.Provisioned);
    expect(w.host.metadata.annotations?.[HostAnnotation.Status]).toBeUndefined();
    for (let i = 0; i < 3; i++) await w.step();
    expect(w.state).toBe(S.Provisioned);
    expect(w.provisioner.startedOf("deploy")).toBe(0);
  });

  it("ignores a status annotation that is not a saved status, with a warning", async () => {
    const w = new HostWorld({ annotations: { [HostAnnotation.Status]: "{not json" } });
    const r = await w.step();
    expect(r.events[0]).toMatchObject({ type: "Warning", reason: "StatusAnnotationInvalid" });
    expect(w.host.metadata.annotations?.[HostAnnotation.Status]).toBeUndefined();
    await w.runTo(S.Available);
  });
});

describe("unsupported spec fields", () => {
  it.each([
    ["raid", { raid: { hardwareRAIDVolumes: [] } }],
    ["firmware", { firmware: { simultaneousMultithreadingEnabled: true } }],
    ["customDeploy", { customDeploy: { method: "x" } }],
    ["hardwareProfile=dell", { hardwareProfile: "dell" }],
  ])("reports %s on the host instead of ignoring it", async (field, spec) => {
    const w = new HostWorld({ spec: spec });
    await w.runTo(S.Available);
    const c = w.host.status?.conditions?.find((k) => k.type === "SpecSupported");
    expect(c?.status).toBe("False");
    expect(c?.message).toContain(field);
    expect(w.events.filter((e) => e.reason === "UnsupportedSpec")).toHaveLength(1);
  });
});

describe("provisioning limit", () => {
  it("shows a host over the provisioning limit as delayed and provisions it once a slot frees", async () => {
    const w = await inState(S.Available);
    w.capacity = false;
    w.edit((h) => (h.spec.image = { ...IMAGE }));
    await w.step();
    await w.step();
    expect(w.state).toBe(S.Available);
    expect(w.host.status?.operationalStatus).toBe(OperationalStatus.Delayed);
    expect(w.provisioner.startedOf("deploy")).toBe(0);
    w.capacity = true;
    await w.runTo(S.Provisioned);
    expect(w.host.status?.operationalStatus).toBe(OperationalStatus.OK);
  });
});

describe("provisioning limit at registration", () => {
  it("holds a registered host as delayed before inspection while no slot is free", async () => {
    const w = new HostWorld();
    w.capacity = false;
    for (let i = 0; i < 4; i++) await w.step();
    expect(w.state).toBe(S.Registering);
    expect(w.host.status?.operationalStatus).toBe(OperationalStatus.Delayed);
    w.capacity = true;
    await w.runTo(S.Available);
  });

  it("asks a delayed host's BMC nothing while it waits for a slot, and checks it again once the Secret changes", async () => {
    const w = new HostWorld();
    w.capacity = false;
    for (let i = 0; i < 4; i++) await w.step();
    expect(w.host.status?.operationalStatus).toBe(OperationalStatus.Delayed);
    const reads = w.bmc.callsOf("getPower");
    for (let i = 0; i < 5; i++) await w.step();
    expect(w.state).toBe(S.Registering);
    expect(w.bmc.callsOf("getPower")).toBe(reads);
    w.secret = { ...w.secret!, version: "2" };
    await w.step();
    expect(w.bmc.callsOf("getPower")).toBe(reads + 1);
    expect(w.host.status?.goodCredentials?.credentialsVersion).toBe("2");
    w.capacity = true;
    await w.runTo(S.Available);
  });
});
