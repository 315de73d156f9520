import { describe, expect, it } from "vitest";
import type { BareMetalHost } from "../../api/index.js";
import { chooseHost, consumerRefOf, isConsumedBy, rejectionOf, type Claimant } from "./select-host.js";

const me: Claimant = { namespace: "ns", name: "m1", uid: "u1" };

function host(name: string, o: { state?: string; labels?: Record<string, string>; annotations?: Record<string, string>; consumer?: Claimant; error?: string; op?: string; deleting?: boolean; image?: boolean } = {}): BareMetalHost {
  return {
    apiVersion: "metal3.io/v1alpha1",
    kind: "BareMetalHost",
    metadata: {
      name,
      namespace: "ns",
      ...(o.labels ? { labels: o.labels } : {}),
      ...(o.annotations ? { annotations: o.annotations } : {}),
      ...(o.deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}),
    },
    spec: {
      online: false,
      ...(o.consumer ? { consumerRef: consumerRefOf(o.consumer) } : {}),
      ...(o.image ? { image: { url: "http://x/i.img", checksum: "abc" } } : {}),
    },
    status: {
      operationalStatus: (o.op ?? "OK") as "OK",
      errorMessage: o.error ?? "",
      errorCount: 0,
      poweredOn: false,
      provisioning: { ID: "", state: o.state ?? "available" },
    },
  };
}

describe("which hosts a machine may claim", () => {
  it.each([
    ["an available host with no consumer", host("h"), undefined],
    ["a host in the deprecated ready state", host("h", { state: "ready" }), undefined],
    ["a host another machine consumes", host("h", { consumer: { namespace: "ns", name: "other" } }), "claimed"],
    ["a host being deleted", host("h", { deleting: true }), "deleting"],
    ["a paused host", host("h", { annotations: { "baremetalhost.metal3.io/paused": "" } }), "paused"],
    ["a detached host", host("h", { annotations: { "baremetalhost.metal3.io/detached": "{}" } }), "detached"],
    ["a host with an error message", host("h", { error: "boom" }), "error"],
    ["a host whose operational status is error", host("h", { op: "error" }), "error"],
    ["a host still inspecting", host("h", { state: "inspecting" }), "state inspecting"],
    ["a provisioned host without consumer", host("h", { state: "provisioned" }), "state provisioned"],
    ["an available host someone gave an image by hand", host("h", { image: true }), "image set"],
  ])("%s → %s", (_what, h, want) => {
    expect(rejectionOf(h)).toBe(want);
  });
});

describe("whether a host's consumerRef names this machine", () => {
  it.each([
    ["the same name, namespace and uid", { namespace: "ns", name: "m1", uid: "u1" }, true],
    ["the same name with no uid recorded", { namespace: "ns", name: "m1" }, true],
    ["the same name but another uid (a re-created machine)", { namespace: "ns", name: "m1", uid: "u0" }, false],
    ["another name", { namespace: "ns", name: "m2", uid: "u1" }, false],
    ["another namespace", { namespace: "other", name: "m1", uid: "u1" }, false],
  ])("%s → %s", (_what, consumer, want) => {
    expect(isConsumedBy(host("h", { consumer }), me)).toBe(want);
  });

  it("a consumerRef of another kind is not ours", () => {
    const h = host("h");
    h.spec.consumerRef = { apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1", kind: "Metal3Machine", name: "m1", namespace: "ns" };
    expect(isConsumedBy(h, me)).toBe(false);
  });
});

describe("choosing a host", () => {
  const first = (): number => 0;
  const last = (): number => 0.999;

  it("a host the machine already consumes wins over free ones", () => {
    const s = chooseHost([host("a"), host("b", { consumer: me, state: "provisioning" })], me, undefined, first);
    expect(s).toMatchObject({ kind: "own", host: { metadata: { name: "b" } } });
  });

  it.each([
    ["no failure domain: any free host", undefined, [host("a"), host("b")], first, "a", false],
    ["the random pick spans the pool", undefined, [host("a"), host("b")], last, "b", false],
    ["hosts in the requested domain are preferred", "fd2", [host("a", { labels: { "infrastructure.cluster.x-k8s.io/failure-domain": "fd1" } }), host("b", { labels: { "infrastructure.cluster.x-k8s.io/failure-domain": "fd2" } })], first, "b", true],
    ["with no free host in the domain, any free host", "fd9", [host("a", { labels: { "infrastructure.cluster.x-k8s.io/failure-domain": "fd1" } })], first, "a", false],
    ["a claimed host in the domain does not count", "fd2", [host("a"), host("b", { consumer: { namespace: "ns", name: "x" }, labels: { "infrastructure.cluster.x-k8s.io/failure-domain": "fd2" } })], last, "a", false],
  ])("%s", (_what, fd, hosts, random, want, inFd) => {
    expect(chooseHost(hosts, me, fd, random)).toMatchObject({ kind: "pick", host: { metadata: { name: want } }, inFailureDomain: inFd });
  });

  it("with nothing free, the message counts why each host was passed over", () => {
    const s = chooseHost([host("a", { consumer: { namespace: "ns", name: "x" } }), host("b", { consumer: { namespace: "ns", name: "y" } }), host("c", { state: "inspecting" })], me, undefined);
    expect(s).toEqual({ kind: "none", message: "no available host among 3 matching hostSelector: 2 claimed, 1 state inspecting" });
  });

  it("with no host matching the selector, the message says so", () => {
    expect(chooseHost([], me, undefined)).toEqual({ kind: "none", message: "no BareMetalHost in the namespace matches hostSelector" });
  });
});
