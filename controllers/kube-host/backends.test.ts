/**
 * The boot and agent backends on an in-memory API twin whose watch can lag
 * behind writes: what a MAC boots, whose token is whose, what the agent is
 * told, and that results, inventory and progress are stored once.
 */
import { describe, expect, it } from "vitest";
import type { BareMetalHost } from "../../api/index.js";
import type { BootRecord } from "../../pxe/boot-backend.js";
import { AgentStateStore } from "./agent-state-store.js";
import { FreshCache } from "./fresh-cache.js";
import { KubeAgentBackend } from "./kube-agent-backend.js";
import { KubeBootBackend } from "./kube-boot-backend.js";
import { kubeProvisioner } from "./kube-provisioner.js";
import { MemoryKind } from "./memory-kube.fixture.js";
import type { Secret } from "./secret.js";

const RAMDISK = { kernelUrl: "http://192.0.2.1/k", initrdUrl: "http://192.0.2.1/i" };
const b64 = (s: string): string => Buffer.from(s).toString("base64");

async function world(opts: { progressIntervalMs?: number } = {}) {
  const hostKind = new MemoryKind<BareMetalHost>();
  const secretKind = new MemoryKind<Secret>();
  const hosts = new FreshCache(hostKind.informer);
  const store = new AgentStateStore(secretKind.client, secretKind.informer);
  const boot = new KubeBootBackend(hostKind.informer, (k) => hosts.get(k), store, RAMDISK);
  let now = 1_000_000;
  const agent = new KubeAgentBackend({ store, host: (k) => hosts.get(k), secret: (k) => secretKind.informer.get(k), progressIntervalMs: opts.progressIntervalMs ?? 10_000, now: () => now });
  const add = async (name: string, mac: string, spec: Partial<BareMetalHost["spec"]> = {}, state = "available"): Promise<BareMetalHost> =>
    hostKind.client.create({
      apiVersion: "metal3.io/v1alpha1",
      kind: "BareMetalHost",
      metadata: { name, namespace: "lab" },
      spec: { online: true, bootMACAddress: mac, ...spec },
      status: { operationalStatus: "OK", errorMessage: "", errorCount: 0, poweredOn: false, provisioning: { state, ID: "" } },
    });
  return { hostKind, secretKind, store, boot, agent, add, tick: (ms: number) => void (now += ms) };
}

const recordOf = async (w: Awaited<ReturnType<typeof world>>, mac: string): Promise<BootRecord> => {
  const r = await w.boot.byMac(mac);
  if (r?.action.kind !== "ramdisk") throw new Error(`no ramdisk for ${mac}`);
  const authed = await w.boot.byToken(r.action.token);
  if (authed === undefined) throw new Error("token not found");
  return authed;
};

describe("the Kubernetes boot backend", () => {
  it("answers by MAC in any case, none for a known idle host, local-disk when provisioned, undefined when unknown", async () => {
    const w = await world();
    await w.add("a", "52:54:00:00:00:0a");
    await w.add("b", "52:54:00:00:00:0b", {}, "provisioned");
    await w.add("c", "52:54:00:00:00:0c", {}, "externally provisioned");
    expect(await w.boot.byMac("52-54-00-00-00-0A")).toEqual({ mac: "52:54:00:00:00:0a", hostName: "lab/a", action: { kind: "none" } });
    expect((await w.boot.byMac("52:54:00:00:00:0b"))?.action).toEqual({ kind: "local-disk" });
    expect((await w.boot.byMac("52:54:00:00:00:0c"))?.action).toEqual({ kind: "local-disk" });
    expect(await w.boot.byMac("52:54:00:00:00:ff")).toBeUndefined();
    expect(await w.boot.byMac("not a mac")).toBeUndefined();
  });

  it("offers the ramdisk with the host's own token only while a job is held and not released", async () => {
    const w = await world();
    const a = await w.add("a", "52:54:00:00:00:0a");
    const b = await w.add("b", "52:54:00:00:00:0b");
    await kubeProvisioner(w.store, a).requestRamdiskBoot({ purpose: "inspect", key: "inspect-1" });
    await kubeProvisioner(w.store, b).requestRamdiskBoot({ purpose: "inspect", key: "inspect-1" });
    const ra = await w.boot.byMac("52:54:00:00:00:0a");
    const rb = await w.boot.byMac("52:54:00:00:00:0b");
    if (ra?.action.kind !== "ramdisk" || rb?.action.kind !== "ramdisk") throw new Error("expected ramdisk");
    expect(ra.action).toMatchObject(RAMDISK);
    expect(ra.action.token).toMatch(/^[0-9a-f]{64}$/);
    expect(ra.action.token).not.toBe(rb.action.token);
    expect((await w.boot.byToken(ra.action.token))?.hostName).toBe("lab/a");
    expect((await w.boot.byToken(rb.action.token))?.hostName).toBe("lab/b");
    expect(await w.boot.byToken("f".repeat(64))).toBeUndefined();
    await kubeProvisioner(w.store, a).releaseRamdisk();
    expect((await w.boot.byMac("52:54:00:00:00:0a"))?.action).toEqual({ kind: "none" });
  });
});

describe("the Kubernetes agent backend", () => {
  it("tells the agent to wait once the result is stored, even while the watch has not caught up", async () => {
    const w = await world();
    const a = await w.add("a", "52:54:00:00:00:0a", { image: { url: "http://i/os.img", checksum: "a".repeat(64) } });
    const port = kubeProvisioner(w.store, a);
    const job = { purpose: "deploy" as const, key: "deploy-x-0", image: { url: "http://i/os.img", checksum: "a".repeat(64) } };
    await port.requestRamdiskBoot(job);
    const rec = await recordOf(w, "52:54:00:00:00:0a");
    w.secretKind.lagging = true;
    expect((await w.agent.instructions(rec)).action).toBe("deploy");
    // Fetching the job is the agent's first sign of life; the world's clock still reads its start.
    expect(await port.agentStatus(job)).toEqual({ phase: "running", lastReportAt: new Date(1_000_000) });
    await w.agent.result(rec, { action: "deploy", ok: true, rootDevice: "/dev/sda" });
    expect(await w.agent.instructions(rec)).toEqual({ action: "wait", retryAfterSeconds: 2 });
    expect(await port.agentStatus(job)).toEqual({ phase: "succeeded" });
    w.secretKind.deliver();
    expect(await port.agentStatus(job)).toEqual({ phase: "succeeded" });
  });

  it("stores the first result of a job only: a retried or contradicting one is a no-op", async () => {
    const w = await world();
    const a = await w.add("a", "52:54:00:00:00:0a");
    const job = { purpose: "wipe" as const, key: "wipe-1" };
    await kubeProvisioner(w.store, a).requestRamdiskBoot(job);
    const rec = await recordOf(w, "52:54:00:00:00:0a");
    await w.agent.result(rec, { action: "wipe", ok: false, error: { code: "WIPE_FAILED", message: "disk\nsda: I/O error" } });
    const writes = w.secretKind.writes;
    await w.agent.result(rec, { action: "wipe", ok: false, error: { code: "WIPE_FAILED", message: "again" } });
    await w.agent.result(rec, { action: "wipe", ok: true });
    await w.agent.result(rec, { action: "deploy", ok: true });
    expect(w.secretKind.writes).toBe(writes);
    expect(await kubeProvisioner(w.store, a).agentStatus(job)).toEqual({ phase: "failed", code: "WIPE_FAILED", message: "disk sda: I/O error" });
  });

  it("keeps inventory for an inspect job and hands it to the state machine as Metal3 hardware details", async () => {
    const w = await world();
    const a = await w.add("a", "52:54:00:00:00:0a");
    const job = { purpose: "inspect" as const, key: "inspect-1" };
    await kubeProvisioner(w.store, a).requestRamdiskBoot(job);
    const rec = await recordOf(w, "52:54:00:00:00:0a");
    expect(await w.agent.instructions(rec)).toEqual({ action: "inspect" });
    const hardware = { ramMebibytes: 512, nics: [{ name: "eth0", mac: "52:54:00:00:00:0a" }], storage: [] };
    await w.agent.inventory(rec, hardware);
    await w.agent.result(rec, { action: "inspect", ok: true });
    expect(await kubeProvisioner(w.store, a).agentStatus(job)).toEqual({ phase: "succeeded", hardware });
  });

  it("writes progress at most once per interval per host, but a phase change at once", async () => {
    const w = await world({ progressIntervalMs: 5_000 });
    const a = await w.add("a", "52:54:00:00:00:0a", { image: { url: "http://i/os.img", checksum: "a".repeat(64) } });
    const job = { purpose: "deploy" as const, key: "deploy-1", image: { url: "http://i/os.img", checksum: "a".repeat(64) } };
    await kubeProvisioner(w.store, a).requestRamdiskBoot(job);
    const rec = await recordOf(w, "52:54:00:00:00:0a");
    await w.agent.instructions(rec);
    const before = w.secretKind.writes;
    for (let i = 1; i <= 10; i++) {
      await w.agent.progress(rec, { action: "deploy", phase: "writing", bytesWritten: i * 100, total: 1000 });
      w.tick(1_000);
    }
    expect(w.secretKind.writes - before).toBe(2);
    await w.agent.progress(rec, { action: "deploy", phase: "verified", bytesWritten: 1000, total: 1000 });
    expect(w.secretKind.writes - before).toBe(3);
    // The last write (the phase change, after ten 1 s ticks) is the agent's last sign of life.
    expect(await kubeProvisioner(w.store, a).agentStatus(job)).toEqual({ phase: "running", bytesWritten: 1000, total: 1000, lastReportAt: new Date(1_010_000) });
  });

  it("builds the deploy instruction from the job's image, the hints and the config drive Secrets", async () => {
    const w = await world();
    await w.secretKind.client.create({ metadata: { name: "boot", namespace: "lab" }, data: { value: b64("#cloud-config\n") } });
    await w.secretKind.client.create({ metadata: { name: "md", namespace: "lab" }, data: { metaData: b64("local-hostname: worker-0\nextra: 1\n") } });
    const image = { url: "http://i/os.img", checksum: "http://i/SHA256SUMS", checksumType: "sha256" as const };
    const a = await w.add("a", "52:54:00:00:00:0a", { image, userData: { name: "boot" }, metaData: { name: "md" }, rootDeviceHints: { minSizeGigabytes: 4 } });
    await kubeProvisioner(w.store, a).requestRamdiskBoot({ purpose: "deploy", key: "d", image });
    expect(await w.agent.instructions(await recordOf(w, "52:54:00:00:00:0a"))).toEqual({
      action: "deploy",
      image: { url: "http://i/os.img", checksumUrl: "http://i/SHA256SUMS", checksumType: "sha256" },
      rootDeviceHints: { minSizeGigabytes: 4 },
      configDrive: {
        userData: "#cloud-config\n",
        metaData: { uuid: a.metadata.uid, "metal3-namespace": "lab", "metal3-name": "a", "local-hostname": "worker-0", local_hostname: "a", extra: 1 },
        networkData: null,
      },
    });
  });

  it("waits rather than deploying without the user data Secret the host names", async () => {
    const w = await world();
    const image = { url: "http://i/os.img", checksum: "a".repeat(32) };
    const a = await w.add("a", "52:54:00:00:00:0a", { image, userData: { name: "missing" } });
    await kubeProvisioner(w.store, a).requestRamdiskBoot({ purpose: "deploy", key: "d", image });
    expect((await w.agent.instructions(await recordOf(w, "52:54:00:00:00:0a"))).action).toBe("wait");
  });
});
