import { describe, expect, it } from "vitest";
import { HostAnnotation, OperationalStatus } from "../../api/index.js";
import { HostWorld, S, type WorldOptions } from "./host-world.js";

function statesVisited(w: HostWorld): string[] {
  return w.events.filter((e) => e.reason === "StateChanged").map((e) => e.message);
}

describe("host lifecycle", () => {
  it.each<{ name: string; opts: WorldOptions; path: string[] }>([
    {
      name: "registers a host with a BMC address, inspects it out of band and makes it available",
      opts: {},
      path: ["new -> registering", "registering -> inspecting", "inspecting -> preparing", "preparing -> available"],
    },
    {
      name: "skips inspection when inspectionMode is disabled",
      opts: { spec: { inspectionMode: "disabled" } },
      path: ["new -> registering", "registering -> preparing", "preparing -> available"],
    },
    {
      name: "skips inspection when inspect.metal3.io is disabled",
      opts: { annotations: { [HostAnnotation.Inspect]: "disabled" } },
      path: ["new -> registering", "registering -> preparing", "preparing -> available"],
    },
  ])("$name", async ({ opts, path }) => {
    const w = new HostWorld(opts);
    await w.runTo(S.Available);
    expect(statesVisited(w)).toEqual(path);
    expect(w.host.status?.operationalStatus).toBe(OperationalStatus.OK);
  });

  it("leaves a host without a BMC address unmanaged, and registers it once an address appears", async () => {
    const w = new HostWorld({ spec: { bmc: { address: "", credentialsName: "x" } } });
    await w.runTo(S.Unmanaged);
    await w.step();
    expect(w.state).toBe(S.Unmanaged);
    expect(w.host.status?.operationalStatus).toBe(OperationalStatus.Discovered);
    w.edit((h) => (h.spec.bmc = { address: "ipmi://192.0.2.9", credentialsName: "x" }));
    await w.runTo(S.Available);
  });

  it("registers an externally provisioned host straight to externally provisioned and, when the flag is cleared, inspects it and makes it available", async () => {
    const w = new HostWorld({ spec: { externallyProvisioned: true } });
    await w.runTo(S.ExternallyProvisioned);
    expect(w.bmc.callsOf("setBootOverride")).toBe(0);
    w.edit((h) => (h.spec.externallyProvisioned = false));
    await w.runTo(S.Available);
    expect(statesVisited(w).slice(-3)).toEqual(["externally provisioned -> inspecting", "inspecting -> preparing", "preparing -> available"]);
  });

  it("fills status.hardware from the BMC's out-of-band inventory", async () => {
    const w = new HostWorld();
    await w.runTo(S.Available);
    expect(w.host.status?.hardware?.systemVendor?.manufacturer).toBe("Anvil Fixture");
    expect(w.provisioner.startedOf("inspect")).toBe(0);
  });

  it("inspects in-band through the agent when inspectionMode is agent", async () => {
    const w = new HostWorld({ spec: { inspectionMode: "agent" } });
    await w.runTo(S.Available);
    expect(w.provisioner.startedOf("inspect")).toBe(1);
    expect(w.host.status?.hardware?.nics?.[0]).toMatchObject({ mac: "52:54:00:aa:bb:01", ip: "192.0.2.10" });
    expect(w.host.status?.hardware?.storage?.[0]).toMatchObject({ wwn: "0x5000c500a1b2c3d4", rotational: true });
    expect(w.bmc.callsOf("getInventory")).toBe(0);
  });

  it("takes hardware details from the inspect.metal3.io/hardwaredetails annotation instead of inspecting", async () => {
    const w = new HostWorld({ annotations: { [HostAnnotation.HardwareDetails]: JSON.stringify({ ramMebibytes: 1234 }) } });
    await w.runTo(S.Available);
    expect(w.host.status?.hardware?.ramMebibytes).toBe(1234);
    expect(w.bmc.callsOf("getInventory")).toBe(0);
  });

  it.each([
    ["ready", S.Available],
    ["match profile", S.Preparing],
  ])("moves a host left in the old state %s to %s", async (old, next) => {
    const w = new HostWorld();
    await w.runTo(S.Available);
    w.edit((h) => h.status && (h.status.provisioning.state = old), { bumpGeneration: false });
    await w.step();
    expect(w.state).toBe(next);
  });

  it("provisions the image with one agent deploy, shows progress, and boots the host from disk", async () => {
    const w = new HostWorld();
    w.provisioner.runningPolls = 3;
    await w.runTo(S.Available);
    w.edit((h) => (h.spec.image = { url: "http://192.0.2.5/img.raw", checksum: "abc", checksumType: "sha256" }));
    const progress: string[] = [];
    await w.runTo(S.Provisioned, 40, (x) => {
      const c = x.host.status?.conditions?.find((k) => k.type === "Progressing");
      if (c?.reason === "AgentRunning") progress.push(c.message);
      return x.state === S.Provisioned;
    });
    expect(progress).toContain("deploy: 250000 of 1000000 bytes written");
    expect(w.provisioner.startedOf("deploy")).toBe(1);
    expect(await w.bmc.boot.getBootOverride()).toMatchObject({ device: "disk", once: false });
    expect(await w.bmc.power.getPower()).toBe("on");
    expect(w.host.status?.provisioning.image?.url).toBe("http://192.0.2.5/img.raw");
    const history = w.host.status?.operationHistory;
    expect(history?.provision?.start).toBeTruthy();
    expect(history?.provision?.end).toBeTruthy();
    expect(history?.register?.end).toBeTruthy();
  });

  it.each([
    ["metadata", 1],
    ["disabled", 0],
  ] as const)("deprovisions a host whose image is cleared with automatedCleaningMode %s (%i wipes) and makes it available", async (mode, wipes) => {
    const w = new HostWorld({ spec: { automatedCleaningMode: mode } });
    await w.runTo(S.Available);
    w.edit((h) => (h.spec.image = { url: "http://192.0.2.5/img.raw", checksum: "abc" }));
    await w.runTo(S.Provisioned);
    w.edit((h) => delete h.spec.image);
    await w.runTo(S.Deprovisioning);
    await w.runTo(S.Available);
    expect(w.provisioner.startedOf("wipe")).toBe(wipes);
    expect(w.host.status?.provisioning.image).toBeUndefined();
    expect(w.host.status?.operationHistory?.deprovision?.end).toBeTruthy();
  });

  it("adds the finalizer to a new host", async () => {
    const w = new HostWorld();
    await w.step();
    expect(w.host.metadata.finalizers).toEqual(["baremetalhost.metal3.io"]);
  });
});
