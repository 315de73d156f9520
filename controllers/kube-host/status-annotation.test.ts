import { describe, expect, it } from "vitest";
import { CapiAnnotation, HostAnnotation, type BareMetalHost } from "../../api/index.js";
import { moveHookOf, SAVED_STATUS_MAX_BYTES, statusToSave } from "./status-annotation.js";

const host = (state: string, annotations: Record<string, string> = {}, extra: Partial<NonNullable<BareMetalHost["status"]>> = {}): BareMetalHost => ({
  apiVersion: "metal3.io/v1alpha1",
  kind: "BareMetalHost",
  metadata: { name: "h", namespace: "lab", annotations },
  spec: { online: true },
  status: { operationalStatus: "OK", errorMessage: "", errorCount: 0, poweredOn: true, provisioning: { state, ID: "uid-h" }, ...extra },
});

describe("what the host controller does for clusterctl move", () => {
  it.each([
    ["a host without move annotations is reconciled", {}, "none"],
    ["a paused host is not reconciled", { [HostAnnotation.Paused]: "x" }, "paused"],
    ["a host clusterctl is deleting after the move is left alone, paused or not", { [CapiAnnotation.DeleteForMove]: "" }, "moving-away"],
    ["delete-for-move wins over a pause", { [CapiAnnotation.DeleteForMove]: "", [HostAnnotation.Paused]: "x" }, "moving-away"],
  ])("%s", (_name, annotations, hook) => {
    expect(moveHookOf(host("provisioned", annotations))).toBe(hook);
  });

  it("saves the whole status of a paused provisioned host as JSON the restore path reads back", () => {
    const h = host("provisioned", { [HostAnnotation.Paused]: "x" });
    const saved = statusToSave(h);
    expect(JSON.parse(saved ?? "null")).toEqual(h.status);
  });

  it("writes nothing when the saved status is already current", () => {
    const h = host("provisioned", { [HostAnnotation.Paused]: "x" });
    h.metadata.annotations = { ...h.metadata.annotations, [HostAnnotation.Status]: statusToSave(h) ?? "" };
    expect(statusToSave(h)).toBeUndefined();
  });

  it("saves again when the status moved on since", () => {
    const h = host("provisioned", { [HostAnnotation.Paused]: "x", [HostAnnotation.Status]: JSON.stringify(host("provisioning").status) });
    expect(JSON.parse(statusToSave(h) ?? "null")).toMatchObject({ provisioning: { state: "provisioned" } });
  });

  it("never overwrites a moved host's annotation with its own empty status", () => {
    const moved = host("", { [HostAnnotation.Paused]: "x", [HostAnnotation.Status]: JSON.stringify(host("provisioned").status) });
    expect(statusToSave(moved)).toBeUndefined();
    delete moved.status;
    expect(statusToSave(moved)).toBeUndefined();
  });

  it("leaves the hardware details out when they would crowd the annotation size limit", () => {
    const nics = Array.from({ length: 2000 }, (_, i) => ({ name: `eth${i}`, mac: "52:54:00:00:00:01", ip: "192.0.2.1", model: "x".repeat(60) }));
    const h = host("provisioned", { [HostAnnotation.Paused]: "x" }, { hardware: { hostname: "big", nics } });
    const saved = statusToSave(h) ?? "";
    expect(saved.length).toBeLessThan(SAVED_STATUS_MAX_BYTES);
    expect(JSON.parse(saved)).toMatchObject({ provisioning: { state: "provisioned" } });
    expect(JSON.parse(saved)).not.toHaveProperty("hardware");
  });
});
