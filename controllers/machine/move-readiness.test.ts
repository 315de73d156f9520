import { describe, expect, it } from "vitest";
import { HostAnnotation, type BareMetalHost } from "../../api/index.js";
import { moveReadiness } from "./move-readiness.js";

const host = (state: string, annotations: Record<string, string> = {}): BareMetalHost => ({
  apiVersion: "metal3.io/v1alpha1",
  kind: "BareMetalHost",
  metadata: { name: "h", namespace: "ns", annotations },
  spec: { online: true },
  status: { operationalStatus: "OK", errorMessage: "", errorCount: 0, poweredOn: true, provisioning: { ID: "", state } },
});
const saved = (state: string): string => JSON.stringify(host(state).status);
const PAUSED = { [HostAnnotation.Paused]: "infrastructure.cluster.x-k8s.io/anvil" };

describe("whether a paused AnvilMachine lets clusterctl move go on", () => {
  it.each([
    ["a machine without a host is ready", undefined, "ready"],
    ["a settled provisioned host is paused first", host("provisioned"), "pause-host"],
    ["a settled available host (claimed, not deployed yet) is paused first", host("available"), "pause-host"],
    ["an externally provisioned host is paused first", host("externally provisioned"), "pause-host"],
    ["a host mid-deploy is let finish: the move waits", host("provisioning"), "wait"],
    ["a host mid-wipe is let finish: the move waits", host("deprovisioning"), "wait"],
    ["a host still inspecting is let finish", host("inspecting"), "wait"],
    ["a paused host whose status is not saved yet blocks", host("provisioned", PAUSED), "wait"],
    ["a paused host whose saved status is stale blocks", host("provisioned", { ...PAUSED, [HostAnnotation.Status]: saved("provisioning") }), "wait"],
    ["a saved status that is not JSON blocks", host("provisioned", { ...PAUSED, [HostAnnotation.Status]: "{" }), "wait"],
    ["a paused host with its current status saved is ready", host("provisioned", { ...PAUSED, [HostAnnotation.Status]: saved("provisioned") }), "ready"],
    ["a person's pause counts as a pause once the status is saved", host("provisioned", { [HostAnnotation.Paused]: "", [HostAnnotation.Status]: saved("provisioned") }), "ready"],
  ])("%s", (_name, h, kind) => {
    expect(moveReadiness(h).kind).toBe(kind);
  });

  it("says which host it waits for and why", () => {
    const r = moveReadiness(host("provisioning"));
    expect(r).toEqual({ kind: "wait", message: "host ns/h is provisioning; it is paused for the move once it settles" });
  });
});
