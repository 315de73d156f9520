/** The pure parts of the Kubernetes host controller: Secret parsing, naming, image mapping, watches, limiter, agent status. */
import { describe, expect, it } from "vitest";
import type { BareMetalHost, Image } from "../../api/index.js";
import { agentImageOf } from "./agent-image.js";
import { agentStateName, newAgentStateSecret, ownerHostKey, parseAgentRecord } from "./agent-state.js";
import { readCredentials } from "./credentials.js";
import { hostEventFilter, hostsNamingSecret } from "./host-watches.js";
import { statusOf } from "./kube-provisioner.js";
import { cacheLimiter } from "./provisioning-limiter.js";
import type { Secret } from "./secret.js";

const b64 = (s: string): string => Buffer.from(s).toString("base64");
const secret = (data: Record<string, string>, rv = "7"): Secret => ({ metadata: { name: "bmc", namespace: "lab", resourceVersion: rv }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])) });
const host = (name: string, state: string, spec: Partial<BareMetalHost["spec"]> = {}): BareMetalHost => ({
  apiVersion: "metal3.io/v1alpha1",
  kind: "BareMetalHost",
  metadata: { name, namespace: "lab", uid: `uid-${name}`, generation: 1 },
  spec: { online: true, ...spec },
  status: { operationalStatus: "OK", errorMessage: "", errorCount: 0, poweredOn: false, provisioning: { state, ID: "" } },
});

describe("reading the BMC credentials Secret", () => {
  it.each([
    ["a missing Secret", undefined, { kind: "missing", secretName: "bmc" }],
    ["a Secret without a password", secret({ username: "admin" }), { kind: "incomplete", secretName: "bmc", missingKeys: ["password"] }],
    ["empty values, as Metal3 treats them", secret({ username: "", password: "" }), { kind: "incomplete", secretName: "bmc", missingKeys: ["username", "password"] }],
    ["a complete Secret, versioned by its resourceVersion", secret({ username: "admin", password: "pw" }), { kind: "present", secretName: "bmc", version: "7" }],
  ])("gives the state machine %s without the values", (_name, s, lookup) => {
    const read = readCredentials("bmc", s);
    expect(read.lookup).toEqual(lookup);
    expect(JSON.stringify(read.lookup)).not.toContain("pw");
    expect(read.values).toEqual(lookup.kind === "present" ? { username: "admin", password: "pw" } : undefined);
  });
});

describe("the agent-state Secret", () => {
  it("round-trips token and state, and names its owner host", () => {
    const s = newAgentStateSecret(host("n0", "inspecting"), "t".repeat(64), { job: { purpose: "inspect", key: "k" } });
    expect(s.metadata?.name).toBe("n0-anvil-agent");
    expect(parseAgentRecord(s)).toEqual({ token: "t".repeat(64), state: { job: { purpose: "inspect", key: "k" } } });
    expect(ownerHostKey(s)).toBe("lab/n0");
  });

  it("shortens a name that would pass 253 characters, keeping it unique by a digest", () => {
    const a = agentStateName("a".repeat(250));
    const b = agentStateName(`${"a".repeat(249)}b`);
    expect(a.length).toBeLessThanOrEqual(253);
    expect(a).not.toBe(b);
  });

  it("treats damaged state as empty and a Secret without a token as none", () => {
    expect(parseAgentRecord({ data: { token: b64("x"), state: b64("{not json") } })).toEqual({ token: "x", state: {} });
    expect(parseAgentRecord({ data: { state: b64("{}") } })).toBeUndefined();
  });
});

describe("what the state machine learns from the stored agent state", () => {
  const job = { purpose: "deploy" as const, key: "deploy-1" };
  it.each([
    ["no state", undefined, { phase: "not-started" }],
    ["another job", { job: { purpose: "deploy" as const, key: "deploy-0" }, result: { ok: true } }, { phase: "not-started" }],
    ["a job not yet fetched", { job }, { phase: "not-started" }],
    ["a job the agent fetched", { job, fetched: true }, { phase: "running" }],
    ["progress", { job, fetched: true, progress: { phase: "writing", bytesWritten: 5, total: 10 } }, { phase: "running", bytesWritten: 5, total: 10 }],
    ["a failure", { job, result: { ok: false, code: "CHECKSUM_MISMATCH", message: "m" } }, { phase: "failed", code: "CHECKSUM_MISMATCH", message: "m" }],
    ["success after release", { job, released: true, result: { ok: true } }, { phase: "succeeded" }],
  ])("%s", (_name, state, want) => {
    expect(statusOf(state, job)).toEqual(want);
  });
});

describe("the deploy instruction's image", () => {
  const img = (checksum: string, checksumType?: Image["checksumType"]): Image => ({ url: "http://i/os.img", checksum, ...(checksumType ? { checksumType } : {}) });
  it.each([
    ["an explicit type", img("ab".repeat(16), "sha512"), { checksum: "ab".repeat(16), checksumType: "sha512" }],
    ["md5 by length", img("a".repeat(32)), { checksum: "a".repeat(32), checksumType: "md5" }],
    ["sha256 by length under auto", img("a".repeat(64), "auto"), { checksum: "a".repeat(64), checksumType: "sha256" }],
    ["sha512 by length", img("a".repeat(128)), { checksum: "a".repeat(128), checksumType: "sha512" }],
    ["a checksum file URL", img("https://i/SHA256SUMS", "sha256"), { checksumUrl: "https://i/SHA256SUMS", checksumType: "sha256" }],
    ["a checksum file URL without a type (schema default md5)", img("https://i/MD5SUMS"), { checksumUrl: "https://i/MD5SUMS", checksumType: "md5" }],
  ])("takes %s", (_name, image, want) => {
    expect(agentImageOf(image)).toEqual({ url: "http://i/os.img", ...want });
  });
});

describe("which events reach the host queue", () => {
  it("maps a Secret to every host in its namespace that names it, for any purpose", () => {
    const hosts = [
      host("a", "available", { bmc: { address: "redfish://x", credentialsName: "bmc" } }),
      host("b", "available", { userData: { name: "bmc" } }),
      host("c", "available", { networkData: { name: "bmc", namespace: "other" } }),
      host("d", "available", { preprovisioningNetworkDataName: "bmc" }),
      host("e", "available", { bmc: { address: "redfish://x", credentialsName: "other" } }),
    ];
    expect(hostsNamingSecret(hosts, secret({})).map((h) => h.metadata.name)).toEqual(["a", "b", "d"]);
  });

  it("drops status-only updates and keeps spec, annotation, finalizer and deletion changes and resyncs", () => {
    const h = host("a", "available");
    const statusOnly = { ...h, status: { ...h.status!, poweredOn: true } };
    expect(hostEventFilter(h, statusOnly)).toBe(false);
    expect(hostEventFilter(h, h)).toBe(true);
    expect(hostEventFilter(undefined, h)).toBe(true);
    expect(hostEventFilter(h, { ...h, metadata: { ...h.metadata, generation: 2 } })).toBe(true);
    expect(hostEventFilter(h, { ...h, metadata: { ...h.metadata, annotations: { "reboot.metal3.io": "" } } })).toBe(true);
    expect(hostEventFilter(h, { ...h, metadata: { ...h.metadata, deletionTimestamp: "2026-01-01T00:00:00Z" } })).toBe(true);
  });
});

describe("the provisioning limiter on the cache", () => {
  it("counts inspecting, provisioning and deprovisioning hosts, and never blocks a host already busy", () => {
    const hosts = [host("a", "inspecting"), host("b", "provisioning"), host("c", "available"), host("d", "deprovisioning"), host("e", "provisioned")];
    expect(cacheLimiter(() => hosts, 3).hasCapacity("lab/c")).toBe(false);
    expect(cacheLimiter(() => hosts, 3).hasCapacity("lab/a")).toBe(true);
    expect(cacheLimiter(() => hosts, 4).hasCapacity("lab/c")).toBe(true);
  });

  it("does not give the last free slot to two hosts asking before either is seen busy", () => {
    const hosts = [host("a", "inspecting"), host("b", "available"), host("c", "available")];
    const limiter = cacheLimiter(() => hosts, 2);
    expect(limiter.hasCapacity("lab/b")).toBe(true);
    expect(limiter.hasCapacity("lab/c")).toBe(false);
    expect(limiter.hasCapacity("lab/b")).toBe(true);
  });

  it("frees a granted slot once its host is seen busy and then done, or when the grant lapses unused", () => {
    let t = 0;
    const hosts = [host("a", "available"), host("b", "available")];
    const limiter = cacheLimiter(() => hosts, 1, { grantTtlMs: 1_000, now: () => t });
    expect(limiter.hasCapacity("lab/a")).toBe(true);
    hosts[0] = host("a", "inspecting");
    expect(limiter.hasCapacity("lab/b")).toBe(false);
    hosts[0] = host("a", "available");
    expect(limiter.hasCapacity("lab/b")).toBe(true);
    // b's write never lands: its grant holds the slot until it lapses.
    expect(limiter.hasCapacity("lab/a")).toBe(false);
    t = 1_000;
    expect(limiter.hasCapacity("lab/a")).toBe(true);
  });

  it("lists refused hosts longest waiting first, keeps each one's place when it asks again, and drops it once granted", () => {
    const hosts = [host("a", "inspecting"), host("b", "registering"), host("c", "registering"), host("d", "available")];
    const limiter = cacheLimiter(() => hosts, 1);
    expect(limiter.hasCapacity("lab/b")).toBe(false);
    expect(limiter.hasCapacity("lab/c")).toBe(false);
    expect(limiter.hasCapacity("lab/d")).toBe(false);
    expect(limiter.hasCapacity("lab/b")).toBe(false);
    expect(limiter.waiting(2)).toEqual(["lab/b", "lab/c"]);
    hosts[0] = host("a", "preparing");
    expect(limiter.hasCapacity("lab/b")).toBe(true);
    expect(limiter.waiting(5)).toEqual(["lab/c", "lab/d"]);
  });

  it("forgets a waiting host that stopped asking", () => {
    let t = 0;
    const hosts = [host("a", "provisioning"), host("b", "available"), host("c", "available")];
    const limiter = cacheLimiter(() => hosts, 1, { waitTtlMs: 10_000, now: () => t });
    expect(limiter.hasCapacity("lab/b")).toBe(false);
    t = 6_000;
    expect(limiter.hasCapacity("lab/c")).toBe(false);
    t = 10_000;
    expect(limiter.waiting(5)).toEqual(["lab/c"]);
  });
});
