import { describe, expect, it } from "vitest";
import type { BareMetalHost, BareMetalHostStatus } from "../../api/index.js";
import { addressesOf, holdsImage, hostProgress } from "./host-progress.js";

const SECRET_URL = "https://user:pw@images.example/img.raw?X-Amz-Signature=s3cr3t";

function host(state: string, extra: Partial<BareMetalHostStatus> = {}, deleting = false): BareMetalHost {
  return {
    apiVersion: "metal3.io/v1alpha1",
    kind: "BareMetalHost",
    metadata: { name: "h1", namespace: "ns", ...(deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}) },
    spec: { online: true, image: { url: SECRET_URL, checksum: "abc" } },
    status: { operationalStatus: "OK", errorMessage: "", errorCount: 0, poweredOn: true, provisioning: { ID: "x", state, image: { url: SECRET_URL } }, ...extra },
  };
}

describe("what the machine says about its host", () => {
  it.each([
    ["provisioned", host("provisioned"), true, "Provisioned", "host ns/h1 is provisioned (powered on)"],
    ["provisioning, with its start", host("provisioning", { operationHistory: { provision: { start: "2026-01-01T10:00:00Z", end: null } } }), false, "Provisioning", "host ns/h1 is provisioning since 2026-01-01T10:00:00Z (powered on)"],
    ["available, waiting for a slot", host("available", { operationalStatus: "delayed" }), false, "Provisioning", "host ns/h1 is in state available, waiting for a free provisioning slot; provisioning follows"],
    ["deprovisioning", host("deprovisioning", { poweredOn: false }), false, "Deprovisioning", "host ns/h1 is deprovisioning (powered off)"],
    ["an error", host("provisioning", { operationalStatus: "error", errorType: "provisioning error", errorMessage: "disk not found", errorCount: 2 }), false, "HostError", "host ns/h1 reports provisioning error: disk not found (state provisioning, errorCount 2)"],
    ["an error after provisioning still counts as provisioned", host("provisioned", { operationalStatus: "error", errorType: "power management error", errorMessage: "BMC timeout" }), true, "HostError", "host ns/h1 reports power management error: BMC timeout (state provisioned, errorCount 0)"],
    ["being deleted", host("provisioned", {}, true), false, "Deleting", "host ns/h1 is being deleted (state provisioned)"],
  ])("%s", (_what, h, provisioned, reason, message) => {
    const p = hostProgress(h);
    expect(p).toEqual({ provisioned, reason, message });
    expect(p.message).not.toContain("s3cr3t");
    expect(p.message).not.toContain("images.example");
  });

  it("addresses: every NIC IP once as InternalIP, the hostname as Hostname and InternalDNS", () => {
    const h = host("provisioned", {
      hardware: {
        hostname: "node-1",
        nics: [
          { name: "eno1", mac: "00:11:22:33:44:55", ip: "192.168.1.10" },
          { name: "eno1", mac: "00:11:22:33:44:55", ip: "fd00::10" },
          { name: "eno2", mac: "00:11:22:33:44:56" },
          { name: "bond0", mac: "00:11:22:33:44:57", ip: "192.168.1.10" },
        ],
      },
    });
    expect(addressesOf(h)).toEqual([
      { type: "InternalIP", address: "192.168.1.10" },
      { type: "InternalIP", address: "fd00::10" },
      { type: "Hostname", address: "node-1" },
      { type: "InternalDNS", address: "node-1" },
    ]);
  });

  it.each([
    ["available", false],
    ["provisioning", true],
    ["provisioned", true],
    ["deprovisioning", true],
    ["inspecting", false],
  ])("a host in state %s holds the image: %s", (state, want) => {
    expect(holdsImage(host(state))).toBe(want);
  });
});
