import { describe, expect, it } from "vitest";
import { HostAnnotation } from "../../api/index.js";
import { BmcErrorCode } from "../../bmc/errors.js";
import { HostWorld, S } from "./host-world.js";

const IMAGE = { url: "http://192.0.2.5/img.raw", checksum: "abc" };

function markDeleted(w: HostWorld): void {
  w.edit((h) => (h.metadata.deletionTimestamp = "2025-01-01T01:00:00Z"), { bumpGeneration: false });
}

async function deleteToEnd(w: HostWorld): Promise<string[]> {
  markDeleted(w);
  await w.runTo("gone", 40, (x) => (x.host.metadata.finalizers ?? []).length === 0);
  return w.events.filter((e) => e.reason === "StateChanged").map((e) => e.message);
}

describe("deletion", () => {
  it("powers off an available host, then lets the finalizer go", async () => {
    const w = new HostWorld();
    await w.runTo(S.Available);
    const path = await deleteToEnd(w);
    expect(path.slice(-2)).toEqual(["available -> powering off before delete", "powering off before delete -> deleting"]);
    expect(await w.bmc.power.getPower()).toBe("off");
    expect(w.results.at(-1)?.finalizer).toBe("remove");
  });

  it("deprovisions a provisioned host before powering it off and releasing it", async () => {
    const w = new HostWorld();
    await w.runTo(S.Available);
    w.edit((h) => (h.spec.image = { ...IMAGE }));
    await w.runTo(S.Provisioned);
    const path = await deleteToEnd(w);
    expect(path.slice(-3)).toEqual([
      "provisioned -> deprovisioning",
      "deprovisioning -> powering off before delete",
      "powering off before delete -> deleting",
    ]);
    expect(w.provisioner.startedOf("wipe")).toBe(1);
  });

  it("deletes a detached host without any BMC call", async () => {
    const w = new HostWorld();
    await w.runTo(S.Available);
    w.edit((h) => (h.metadata.annotations = { ...h.metadata.annotations, [HostAnnotation.Detached]: '{"deleteAction":"delete"}' }), { bumpGeneration: false });
    const calls = w.bmc.calls.length;
    markDeleted(w);
    const r = await w.step();
    expect(r.finalizer).toBe("remove");
    expect(w.bmc.calls.length).toBe(calls);
  });

  it("holds a deleted host detached with deleteAction delay until the annotation goes, then deletes it normally", async () => {
    const w = new HostWorld();
    await w.runTo(S.Available);
    w.edit((h) => (h.metadata.annotations = { ...h.metadata.annotations, [HostAnnotation.Detached]: '{"deleteAction":"delay"}' }), { bumpGeneration: false });
    markDeleted(w);
    const calls = w.bmc.calls.length;
    for (let i = 0; i < 3; i++) expect((await w.step()).finalizer).toBe("keep");
    expect(w.bmc.calls.length).toBe(calls);
    expect(w.host.status?.operationalStatus).toBe("detached");
    w.edit((h) => delete h.metadata.annotations?.[HostAnnotation.Detached], { bumpGeneration: false });
    await w.runTo("gone", 20, (x) => (x.host.metadata.finalizers ?? []).length === 0);
    expect(await w.bmc.power.getPower()).toBe("off");
  });

  it("deletes a host whose credentials Secret is gone without trying to power it off", async () => {
    const w = new HostWorld();
    await w.runTo(S.Available);
    w.secret = undefined;
    const calls = w.bmc.calls.length;
    await deleteToEnd(w);
    expect(w.bmc.calls.length).toBe(calls);
    expect(w.events.some((e) => e.reason === "PowerOffSkipped")).toBe(true);
  });

  it("deletes an unmanaged host at once", async () => {
    const w = new HostWorld({ spec: { bmc: { address: "", credentialsName: "x" } } });
    await w.runTo(S.Unmanaged);
    const path = await deleteToEnd(w);
    expect(path.at(-1)).toBe("unmanaged -> deleting");
  });

  it("gives up powering off after three refusals and deletes with a warning", async () => {
    const w = new HostWorld();
    await w.runTo(S.Available);
    w.bmc.failNext("setPower", BmcErrorCode.BmcError, { times: 1000 });
    await deleteToEnd(w);
    expect(w.events.some((e) => e.reason === "PowerOffFailed")).toBe(true);
  });

  it("gives up cleaning a deleted provisioned host after three wipe failures and deletes it with a warning", async () => {
    const w = new HostWorld();
    await w.runTo(S.Available);
    w.edit((h) => (h.spec.image = { ...IMAGE }));
    await w.runTo(S.Provisioned);
    w.provisioner.failNext("wipe", "WIPE_FAILED", "busy", 1000);
    await deleteToEnd(w);
    expect(w.events.some((e) => e.reason === "CleaningSkipped")).toBe(true);
    expect(w.provisioner.startedOf("wipe")).toBe(3);
  });

  it("does not add the finalizer back to a host being deleted", async () => {
    const w = new HostWorld();
    markDeleted(w);
    const r = await w.step();
    expect(r.finalizer).not.toBe("add");
  });
});
