import { describe, expect, it } from "vitest";
import type { BareMetalHost } from "../../api/index.js";
import { ApiError, ApiErrorCode, type ResourceClient } from "../runtime/index.js";
import { claimHost } from "./claim.js";
import type { Claimant } from "./select-host.js";

/**
 * A twin of the API server's optimistic concurrency for BareMetalHosts: an
 * update whose resourceVersion is not the stored one fails with 409.
 */
class HostStore {
  readonly hosts = new Map<string, BareMetalHost>();
  rv = 1;
  add(name: string): void {
    this.hosts.set(name, {
      apiVersion: "metal3.io/v1alpha1",
      kind: "BareMetalHost",
      metadata: { name, namespace: "ns", resourceVersion: String(this.rv++) },
      spec: { online: false },
      status: { operationalStatus: "OK", errorMessage: "", errorCount: 0, poweredOn: false, provisioning: { ID: "", state: "available" } },
    });
  }
  list(): Promise<BareMetalHost[]> {
    return Promise.resolve([...this.hosts.values()].map((h) => structuredClone(h)));
  }
  client(): ResourceClient<BareMetalHost> {
    return {
      update: (h: BareMetalHost): Promise<BareMetalHost> => {
        const name = h.metadata.name ?? "";
        const cur = this.hosts.get(name);
        if (!cur || cur.metadata.resourceVersion !== h.metadata.resourceVersion) {
          return Promise.reject(new ApiError(ApiErrorCode.Conflict, `update ${name}: the object has been modified`, { httpStatus: 409 }));
        }
        const stored = { ...structuredClone(h), metadata: { ...h.metadata, resourceVersion: String(this.rv++) } };
        this.hosts.set(name, stored);
        return Promise.resolve(structuredClone(stored));
      },
    } as unknown as ResourceClient<BareMetalHost>;
  }
}

const m = (name: string): Claimant => ({ namespace: "ns", name, uid: `uid-${name}` });

describe("claiming a host under optimistic concurrency", () => {
  it("writes the consumerRef and the cluster label with the listed resourceVersion", async () => {
    const s = new HostStore();
    s.add("h1");
    const r = await claimHost({ hosts: s.client(), list: () => s.list(), claimant: m("a"), clusterName: "c1" });
    expect(r).toMatchObject({ kind: "claimed", alreadyOwned: false });
    const stored = s.hosts.get("h1");
    expect(stored?.spec.consumerRef).toEqual({ apiVersion: "infrastructure.cluster.x-k8s.io/v1alpha1", kind: "AnvilMachine", name: "a", namespace: "ns", uid: "uid-a" });
    expect(stored?.metadata.labels).toEqual({ "cluster.x-k8s.io/cluster-name": "c1" });
  });

  it("two machines that chose the same last host from the same listing: one wins, the other re-lists and finds none", async () => {
    const s = new HostStore();
    s.add("last");
    const stale = await s.list();
    let conflicts = 0;
    // Both start from the same listing, so both pick "last" at the same resourceVersion.
    const listFor = (): (() => Promise<BareMetalHost[]>) => {
      let first = true;
      return () => (first ? ((first = false), Promise.resolve(structuredClone(stale))) : s.list());
    };
    const [ra, rb] = await Promise.all(
      ["a", "b"].map((n) => claimHost({ hosts: s.client(), list: listFor(), claimant: m(n), onConflict: () => void conflicts++ })),
    );
    const results = [ra, rb];
    expect(results.filter((r) => r?.kind === "claimed")).toHaveLength(1);
    expect(results.find((r) => r?.kind === "none")).toEqual({ kind: "none", message: "no available host among 1 matching hostSelector: 1 claimed" });
    expect(conflicts).toBe(1);
  });

  it("a loser picks again among the hosts left", async () => {
    const s = new HostStore();
    s.add("h1");
    s.add("h2");
    const stale = await s.list();
    // Another machine takes h1 after our listing.
    const other = await claimHost({ hosts: s.client(), list: () => s.list(), claimant: m("other"), random: () => 0 });
    expect(other).toMatchObject({ kind: "claimed", host: { metadata: { name: "h1" } } });
    let calls = 0;
    const r = await claimHost({ hosts: s.client(), list: () => (calls++ === 0 ? Promise.resolve(stale) : s.list()), claimant: m("me"), random: () => 0 });
    expect(r).toMatchObject({ kind: "claimed", host: { metadata: { name: "h2" } } });
    expect(calls).toBe(2);
  });

  it("a host already consumed by this machine is returned without a write", async () => {
    const s = new HostStore();
    s.add("h1");
    await claimHost({ hosts: s.client(), list: () => s.list(), claimant: m("a") });
    const rv = s.rv;
    const r = await claimHost({ hosts: s.client(), list: () => s.list(), claimant: m("a") });
    expect(r).toMatchObject({ kind: "claimed", alreadyOwned: true });
    expect(s.rv).toBe(rv);
  });

  it("losing every attempt is reported, bounded by maxAttempts", async () => {
    const s = new HostStore();
    s.add("h1");
    const stale = await s.list();
    await claimHost({ hosts: s.client(), list: () => s.list(), claimant: m("other") });
    // A listing that never catches up (a lagging cache) must not loop forever.
    let lists = 0;
    const r = await claimHost({ hosts: s.client(), list: () => (lists++, Promise.resolve(structuredClone(stale))), claimant: m("me"), maxAttempts: 3 });
    expect(r).toEqual({ kind: "none", message: "lost the race for a host 3 times in a row; trying again", contended: true });
    expect(lists).toBe(3);
  });
});
