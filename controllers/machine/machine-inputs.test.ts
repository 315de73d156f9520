import { describe, expect, it } from "vitest";
import type { AnvilMachine } from "../../api/index.js";
import type { CapiMachine } from "../cluster/capi-objects.js";
import { hostOfProviderID, preferredDomain, resolveUserData } from "./machine-inputs.js";

const am = (spec: Partial<AnvilMachine["spec"]> = {}): AnvilMachine => ({
  apiVersion: "infrastructure.cluster.x-k8s.io/v1alpha1",
  kind: "AnvilMachine",
  metadata: { name: "m1", namespace: "ns" },
  spec: { image: { url: "http://x/i", checksum: "c" }, ...spec },
});
const machine = (spec: CapiMachine["spec"] = {}): CapiMachine => ({ metadata: { name: "m1", namespace: "ns" }, spec });

describe("the host a providerID names", () => {
  it.each([
    ["anvil://ns/host-1/m1", "host-1"],
    ["anvil://ns/host.rack-1/m1", "host.rack-1"],
    ["metal3://ns/host-1/m1", undefined],
    ["anvil://ns/host-1", undefined],
    [undefined, undefined],
  ])("%s → %s", (id, want) => {
    expect(hostOfProviderID(id)).toBe(want);
  });
});

describe("where the user data comes from", () => {
  it.each([
    ["the Machine's bootstrap Secret", am(), machine({ bootstrap: { dataSecretName: "boot" } }), { ok: true, bootstrapSecret: "boot" }],
    ["spec.userData overrides it, even before bootstrap data exists", am({ userData: { name: "mine" } }), machine(), { ok: true, secretRef: { name: "mine", namespace: "ns" } }],
    ["spec.userData in the machine's own namespace", am({ userData: { name: "mine", namespace: "ns" } }), machine(), { ok: true, secretRef: { name: "mine", namespace: "ns" } }],
    ["spec.userData in another namespace is refused", am({ userData: { name: "mine", namespace: "other" } }), machine(), { ok: false, message: "spec.userData must name a Secret in namespace ns, not other" }],
    ["no bootstrap data yet", am(), machine({ bootstrap: { configRef: { apiGroup: "bootstrap.cluster.x-k8s.io", kind: "KubeadmConfig", name: "m1" } } }), { ok: false, message: "waiting for Machine m1 to get spec.bootstrap.dataSecretName from its bootstrap provider" }],
  ])("%s", (_what, a, m, want) => {
    expect(resolveUserData(a, m)).toEqual(want);
  });
});

describe("the failure domain to prefer", () => {
  it.each([
    ["the Machine's (CAPI places machines)", am({ failureDomain: "b" }), machine({ failureDomain: "a" }), "a"],
    ["the AnvilMachine's when the Machine has none", am({ failureDomain: "b" }), machine(), "b"],
    ["none", am(), machine(), undefined],
  ])("%s", (_what, a, m, want) => {
    expect(preferredDomain(a, m)).toBe(want);
  });
});
