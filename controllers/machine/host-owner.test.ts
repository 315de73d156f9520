import { describe, expect, it } from "vitest";
import type { BareMetalHost } from "../../api/index.js";
import { dropClaim } from "./host-spec.js";
import { dropOwner, isOwnedBy, setOwner } from "./host-owner.js";
import { consumerRefOf, isConsumedBy, needsRebind, rebind, type Claimant } from "./select-host.js";

const source: Claimant = { namespace: "ns", name: "m1", uid: "uid-source" };
const target: Claimant = { namespace: "ns", name: "m1", uid: "uid-target" };

const claimedBy = (c: Claimant, owner?: { uid: string }): BareMetalHost => ({
  apiVersion: "metal3.io/v1alpha1",
  kind: "BareMetalHost",
  metadata: {
    name: "h",
    namespace: "ns",
    ...(owner ? { ownerReferences: [{ apiVersion: "infrastructure.cluster.x-k8s.io/v1alpha1", kind: "AnvilMachine", name: c.name, uid: owner.uid }] } : {}),
  },
  spec: { online: true, consumerRef: consumerRefOf(c) },
});

describe("the AnvilMachine as its host's owner, across clusterctl move", () => {
  it("a claim makes the machine the host's one AnvilMachine owner, not its controller", () => {
    const h = claimedBy(source);
    h.metadata.ownerReferences = [{ apiVersion: "infrastructure.cluster.x-k8s.io/v1alpha1", kind: "AnvilMachine", name: "old", uid: "uid-old" }, { apiVersion: "v1", kind: "ConfigMap", name: "keep", uid: "c1" }];
    setOwner(h, source);
    expect(h.metadata.ownerReferences).toEqual([
      { apiVersion: "v1", kind: "ConfigMap", name: "keep", uid: "c1" },
      { apiVersion: "infrastructure.cluster.x-k8s.io/v1alpha1", kind: "AnvilMachine", name: "m1", uid: "uid-source" },
    ]);
    expect(isOwnedBy(h, source)).toBe(true);
  });

  it("a moved host (consumerRef names the source UID, ownerReference rewritten to the target UID) is the target machine's", () => {
    const moved = claimedBy(source, { uid: target.uid ?? "" });
    expect(isConsumedBy(moved, target)).toBe(true);
    expect(needsRebind(moved, target)).toBe(true);
    rebind(moved, target);
    expect(moved.spec.consumerRef?.uid).toBe("uid-target");
    expect(needsRebind(moved, target)).toBe(false);
  });

  it("a machine re-created under the same name does not inherit its predecessor's host", () => {
    const h = claimedBy(source, { uid: source.uid ?? "" });
    expect(isConsumedBy(h, target)).toBe(false);
    rebind(h, target);
    expect(h.spec.consumerRef?.uid).toBe("uid-source");
    expect(claimedBy(source)).toSatisfy((x: BareMetalHost) => !isConsumedBy(x, target));
  });

  it("a claim made before ownerReferences existed gets one", () => {
    const h = claimedBy(source);
    expect(needsRebind(h, source)).toBe(true);
    rebind(h, source);
    expect(isOwnedBy(h, source)).toBe(true);
  });

  it("releasing the host drops the ownerReference with the claim, so the garbage collector never takes the host", () => {
    const h = claimedBy(target, { uid: target.uid ?? "" });
    dropClaim(h, target);
    expect(h.spec.consumerRef).toBeUndefined();
    expect(h.metadata.ownerReferences).toBeUndefined();
    const other = claimedBy(source);
    other.metadata.ownerReferences = [{ apiVersion: "v1", kind: "ConfigMap", name: "keep", uid: "c1" }];
    dropOwner(other, source);
    expect(other.metadata.ownerReferences).toEqual([{ apiVersion: "v1", kind: "ConfigMap", name: "keep", uid: "c1" }]);
  });
});
