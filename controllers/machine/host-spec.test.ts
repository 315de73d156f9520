import { describe, expect, it } from "vitest";
import type { BareMetalHost } from "../../api/index.js";
import { applyPayload, clearPayload, dropClaim, HostLostError, pause, PAUSED_BY_ANVIL, unpause } from "./host-spec.js";
import { consumerRefOf, type Claimant } from "./select-host.js";

const me: Claimant = { namespace: "ns", name: "m1", uid: "u1" };
const PAUSED = "baremetalhost.metal3.io/paused";

function claimed(by: Claimant = me, annotations?: Record<string, string>): BareMetalHost {
  return {
    apiVersion: "metal3.io/v1alpha1",
    kind: "BareMetalHost",
    metadata: { name: "h1", namespace: "ns", labels: { "cluster.x-k8s.io/cluster-name": "c1", rack: "r1" }, ...(annotations ? { annotations } : {}) },
    spec: { online: false, consumerRef: consumerRefOf(by) },
  };
}

const payload = {
  image: { url: "http://img/x.raw", checksum: "abc", checksumType: "sha256" as const, format: "raw" as const },
  userData: { name: "m1-user-data", namespace: "ns" },
  metaData: { name: "m1-meta-data", namespace: "ns" },
  networkData: { name: "net", namespace: "ns" },
  automatedCleaningMode: "disabled" as const,
  clusterName: "c1",
};

describe("the host fields a machine writes", () => {
  it("the payload: image, power on, the three config-drive Secrets, cleaning mode", () => {
    const h = claimed();
    applyPayload(h, me, payload);
    expect(h.spec).toMatchObject({ online: true, image: payload.image, userData: payload.userData, metaData: payload.metaData, networkData: payload.networkData, automatedCleaningMode: "disabled" });
  });

  it("refuses to write a host another machine took meanwhile", () => {
    expect(() => applyPayload(claimed({ namespace: "ns", name: "thief" }), me, payload)).toThrow(HostLostError);
  });

  it("release step 1 takes image and data away, powers off and lifts our pause, keeps the claim", () => {
    const h = claimed(me, { [PAUSED]: PAUSED_BY_ANVIL });
    applyPayload(h, me, payload);
    clearPayload(h, me);
    // The machine's cleaning mode stays: it decides how this deprovisioning cleans.
    expect(h.spec).toEqual({ online: false, consumerRef: consumerRefOf(me), automatedCleaningMode: "disabled" });
    expect(h.metadata.annotations).toEqual({});
  });

  it("release step 2 drops the claim and the cluster label, other labels stay", () => {
    const h = claimed();
    dropClaim(h, me);
    expect(h.spec.consumerRef).toBeUndefined();
    expect(h.metadata.labels).toEqual({ rack: "r1" });
  });

  it.each([
    ["an unpaused host gets our pause", undefined, { [PAUSED]: PAUSED_BY_ANVIL }, {}],
    ["a person's pause is kept and never lifted by us", { [PAUSED]: "" }, { [PAUSED]: "" }, { [PAUSED]: "" }],
    ["another tool's pause value is kept", { [PAUSED]: "metal3.io/capm3" }, { [PAUSED]: "metal3.io/capm3" }, { [PAUSED]: "metal3.io/capm3" }],
  ])("pausing: %s", (_what, before, afterPause, afterUnpause) => {
    const h = claimed(me, before);
    pause(h);
    expect(h.metadata.annotations).toEqual(afterPause);
    unpause(h);
    expect(h.metadata.annotations ?? {}).toEqual(afterUnpause);
  });
});
