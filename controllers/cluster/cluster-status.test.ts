import { describe, expect, it } from "vitest";
import type { BareMetalHost } from "../../api/index.js";
import { checkEndpoint, failureDomainsFrom, MAX_FAILURE_DOMAINS } from "./cluster-status.js";

describe("the control plane endpoint check", () => {
  it.each([
    ["the AnvilCluster's endpoint", { host: "10.0.0.10", port: 6443 }, undefined, { ok: true, endpoint: { host: "10.0.0.10", port: 6443 }, source: "AnvilCluster" }],
    ["the Cluster's endpoint when the AnvilCluster has none", undefined, { host: "api.example", port: 443 }, { ok: true, endpoint: { host: "api.example", port: 443 }, source: "Cluster" }],
    ["the AnvilCluster's wins over the Cluster's", { host: "a", port: 1 }, { host: "b", port: 2 }, { ok: true, endpoint: { host: "a", port: 1 }, source: "AnvilCluster" }],
    ["the highest port", { host: "a", port: 65535 }, undefined, { ok: true, endpoint: { host: "a", port: 65535 }, source: "AnvilCluster" }],
    ["no endpoint anywhere", undefined, undefined, { ok: false, reason: "WaitingForControlPlaneEndpoint" }],
    ["an all-empty endpoint", { host: "", port: 0 }, {}, { ok: false, reason: "WaitingForControlPlaneEndpoint" }],
    ["a port of 0 with a host", { host: "a", port: 0 }, undefined, { ok: false, reason: "InvalidControlPlaneEndpoint" }],
    ["a port above 65535", { host: "a", port: 65536 }, undefined, { ok: false, reason: "InvalidControlPlaneEndpoint" }],
    ["a fractional port", { host: "a", port: 64.5 }, undefined, { ok: false, reason: "InvalidControlPlaneEndpoint" }],
    ["a port without a host", { port: 6443 }, undefined, { ok: false, reason: "InvalidControlPlaneEndpoint" }],
    ["a host with whitespace", { host: "a b", port: 6443 }, undefined, { ok: false, reason: "InvalidControlPlaneEndpoint" }],
  ])("%s", (_what, own, fromCluster, want) => {
    expect(checkEndpoint(own, fromCluster)).toMatchObject(want);
  });
});

const host = (name: string, fd?: string, deleting = false): BareMetalHost => ({
  apiVersion: "metal3.io/v1alpha1",
  kind: "BareMetalHost",
  metadata: { name, ...(fd ? { labels: { "infrastructure.cluster.x-k8s.io/failure-domain": fd } } : {}), ...(deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}) },
  spec: { online: false },
});

describe("failure domains from host labels", () => {
  it.each([
    ["no labelled host gives none", [host("a"), host("b")], []],
    ["one domain per distinct label value, sorted", [host("a", "rack-2"), host("b", "rack-1"), host("c", "rack-2")], ["rack-1", "rack-2"]],
    ["a host being deleted does not count", [host("a", "rack-1"), host("b", "rack-9", true)], ["rack-1"]],
  ])("%s", (_what, hosts, names) => {
    const fds = failureDomainsFrom(hosts);
    expect(fds.map((f) => f.name)).toEqual(names);
    expect(fds.every((f) => f.controlPlane)).toBe(true);
  });

  it("stops at the schema's cap", () => {
    const many = Array.from({ length: MAX_FAILURE_DOMAINS + 5 }, (_, i) => host(`h${i}`, `fd-${String(i).padStart(3, "0")}`));
    expect(failureDomainsFrom(many)).toHaveLength(MAX_FAILURE_DOMAINS);
  });
});
