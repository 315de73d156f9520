/**
 * The agent API against the REAL deploy agent, through the whole boot chain:
 * qemu (TCG, SeaBIOS) runs its NIC's iPXE ROM, whose DHCP (qemu's user
 * network, `bootfile=`) points at a BootHttpServer's /boot.ipxe; the per-MAC
 * script (ipxe-script.ts) loads Anvil's ramdisk with its `anvil.api=` and
 * `anvil.token=`; the agent then talks to `agentApi` over a memory
 * AgentBackend that scripts inspect → deploy (a raw image with sha256, from
 * the server's /assets) → deploy (gzip) → wipe → poweroff. One VM boot, every step bounded.
 * The guest reaches the test's 127.0.0.1 as 10.0.2.2 (qemu user networking).
 */
import { createHash, randomBytes } from "node:crypto";
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freeTcpPort } from "../../e2e/framework/ports.js";
import { startProcess, type Supervised } from "../../e2e/framework/process.js";
import { HOST_FROM_GUEST, ramdiskPayload, sparseDisk } from "../../e2e/framework/ramdisk.js";
import type { AgentCall } from "./testing/memory-agent-backend.js";
import { memoryAgentBackend } from "./testing/memory-agent-backend.js";
import { memoryBackend } from "./testing/memory-backend.js";
import type { HttpAccessEvent } from "./access-log.js";
import { agentApi } from "./agent-api.js";
import { BootHttpServer } from "./server.js";

const MiB = 1 << 20;
const GiB = 1 << 30;
const IMAGE_BYTES = 24 * MiB;
const MAC = "52:54:00:a5:00:07";
const TOKEN = randomBytes(24).toString("base64url");
const HOST = "default/peer-0";
const BOOT_TIMEOUT_MS = 150_000;
const STEP_TIMEOUT_MS = 60_000;

const GZ_PLAIN_BYTES = 8 * MiB;
const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

function readRegion(file: string, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const fd = openSync(file, "r");
  try {
    readSync(fd, buf, 0, length, offset);
  } finally {
    closeSync(fd);
  }
  return buf;
}

type Of<R extends AgentCall["route"]> = Extract<AgentCall, { route: R }>;
const is =
  <R extends AgentCall["route"]>(route: R, since = 0) =>
  (c: AgentCall): c is Of<R> =>
    c.route === route && c.at >= since;

describe("the real deploy agent, booted by iPXE from Anvil's own script, against agentApi", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "anvil-agent-api-"));
  const disk = path.join(dir, "vda.raw");
  const serialLog = path.join(dir, "serial.log");
  const image = randomBytes(IMAGE_BYTES);
  // Half random, half zeros: gzip has real work and a size of its own.
  const gz = gzipSync(Buffer.concat([randomBytes(GZ_PLAIN_BYTES / 2), Buffer.alloc(GZ_PLAIN_BYTES / 2)]), { level: 1 });
  const agent = memoryAgentBackend();
  const access: HttpAccessEvent[] = [];
  let server: BootHttpServer | undefined;
  let vm: Supervised | undefined;
  let startedAt = 0;
  let publicUrl = "";
  const serial = (): string => {
    try {
      return readFileSync(serialLog, "utf8");
    } catch {
      return "";
    }
  };

  beforeAll(async () => {
    const assets = path.join(dir, "assets");
    mkdirSync(assets);
    const payload = ramdiskPayload();
    copyFileSync(payload.kernel, path.join(assets, "vmlinuz"));
    copyFileSync(payload.initrd, path.join(assets, "initramfs.gz"));
    writeFileSync(path.join(assets, "image.raw"), image);
    writeFileSync(path.join(assets, "image.raw.gz"), gz);
    sparseDisk(disk, 4 * GiB);

    const port = await freeTcpPort();
    publicUrl = `http://${HOST_FROM_GUEST}:${port}`;
    const boot = memoryBackend([
      {
        mac: MAC,
        hostName: HOST,
        action: { kind: "ramdisk", token: TOKEN, kernelUrl: `${publicUrl}/assets/vmlinuz`, initrdUrl: `${publicUrl}/assets/initramfs.gz`, kernelArgs: "console=ttyS0 quiet" },
      },
    ]);
    const api = agentApi(agent);
    server = new BootHttpServer({ backend: boot, publicUrl, address: "127.0.0.1", port, assetsDir: assets, agent: api, agentRejected: (c) => api.counters.reject(c), log: (e) => access.push(e) });
    await server.listen();

    startedAt = Date.now();
    vm = startProcess({
      name: "agent-api-vm",
      command: "/usr/bin/qemu-system-x86_64",
      args: [
        "-accel", "tcg", "-machine", "pc", "-m", "512", "-smp", "1",
        "-nodefaults", "-display", "none", "-monitor", "none", "-no-reboot",
        "-serial", `file:${serialLog}`,
        // qemu's DHCP hands iPXE this URL as its boot file: the entry script.
        "-netdev", `user,id=net0,bootfile=${publicUrl}/boot.ipxe`,
        "-device", `virtio-net-pci,netdev=net0,mac=${MAC},bootindex=1`,
        "-drive", `if=none,id=disk0,format=raw,file=${disk}`,
        "-device", "virtio-blk-pci,drive=disk0,serial=ANVIL-PEER-1",
      ],
      logFile: path.join(dir, "qemu.log"),
    });
    await agent.waitFor(is("instructions"), BOOT_TIMEOUT_MS).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\nHTTP: ${access.map((a) => `${a.method} ${a.path} ${a.status}`).join(", ")}\nserial:\n${serial().slice(-2000)}\nqemu:\n${vm?.tail()}`);
    });
    console.info(`agent-api peer: first GET /instructions ${Date.now() - startedAt} ms after qemu start (TCG)`);
  }, BOOT_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    try {
      await vm?.stop(2000);
      await server?.close();
      const lines = serial().split("\n").filter((l) => l.startsWith("anvil-"));
      console.info(`agent-api peer console:\n${lines.join("\n")}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("came through /boot.ipxe and the host's script, and the agent's calls land on the host's routes", () => {
    const paths = access.map((a) => a.path);
    expect(paths).toContain("/boot.ipxe");
    expect(paths).toContain(`/ipxe/${MAC.replace(/:/g, "-")}`);
    expect(paths).toContain("/assets/initramfs.gz");
    const agentCalls = access.filter((a) => a.path.startsWith("/agent/"));
    expect(agentCalls.length).toBeGreaterThan(0);
    expect(agentCalls.every((a) => a.path.startsWith(`/agent/v1/hosts/${MAC.replace(/:/g, "-")}/`) && a.status === 200 && a.host === HOST)).toBe(true);
  });

  it("inspects: the posted inventory holds the VM's NIC and disk", async () => {
    const since = Date.now();
    agent.give({ action: "inspect" });
    const { result } = await agent.waitFor(is("result", since), STEP_TIMEOUT_MS);
    expect(result).toEqual({ action: "inspect", ok: true });
    const { hardware } = await agent.waitFor(is("inventory", since), 1000);
    expect(hardware.nics).toContainEqual(expect.objectContaining({ mac: MAC, ip: "10.0.2.15" }));
    expect(hardware.storage).toEqual([expect.objectContaining({ name: "/dev/vda", sizeBytes: 4 * GiB, serialNumber: "ANVIL-PEER-1" })]);
  }, STEP_TIMEOUT_MS);

  it("deploys a raw image checked by sha256, reporting progress with its totals", async () => {
    const since = Date.now();
    agent.give({
      action: "deploy",
      image: { url: `${publicUrl}/assets/image.raw`, checksum: sha256(image), checksumType: "sha256", format: "raw" },
    });
    const { result } = await agent.waitFor(is("result", since), STEP_TIMEOUT_MS);
    expect(result).toEqual({ action: "deploy", ok: true, rootDevice: "/dev/vda" });
    expect(sha256(readRegion(disk, 0, IMAGE_BYTES))).toBe(sha256(image));
    const progress = agent.calls.filter(is("progress", since)).map((c) => c.progress);
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.every((p) => p.action === "deploy" && p.total === IMAGE_BYTES && p.downloadTotal === IMAGE_BYTES && p.device === "/dev/vda")).toBe(true);
    expect(progress.map((p) => p.phase).slice(-2)).toEqual(["verified", "done"]);
    expect(progress.at(-1)?.bytesWritten).toBe(IMAGE_BYTES);
    console.info(`agent-api peer: deploy ${progress.length} progress reports, bytesWritten ${progress.map((p) => p.bytesWritten).join(" → ")}`);
  }, STEP_TIMEOUT_MS);

  it("deploys a gzip image: Go's null bytesTotal arrives as an unknown total, the download total as known", async () => {
    const since = Date.now();
    agent.give({ action: "deploy", image: { url: `${publicUrl}/assets/image.raw.gz`, checksum: sha256(gz), checksumType: "sha256", format: "gzip" } });
    const { result } = await agent.waitFor(is("result", since), STEP_TIMEOUT_MS);
    expect(result).toEqual({ action: "deploy", ok: true, rootDevice: "/dev/vda" });
    expect(sha256(readRegion(disk, 0, GZ_PLAIN_BYTES))).toBe(sha256(gunzipSync(gz)));
    const progress = agent.calls.filter(is("progress", since)).map((c) => c.progress);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.every((p) => p.total === undefined && p.downloadTotal === gz.length)).toBe(true);
    expect(progress.at(-1)).toMatchObject({ phase: "done", bytesWritten: GZ_PLAIN_BYTES, bytesDownloaded: gz.length });
  }, STEP_TIMEOUT_MS);

  it("wipes the disk's metadata", async () => {
    const since = Date.now();
    agent.give({ action: "wipe", cleaningMode: "metadata" });
    const { result } = await agent.waitFor(is("result", since), STEP_TIMEOUT_MS);
    expect(result).toEqual({ action: "wipe", ok: true, wiped: ["/dev/vda"] });
    expect(readRegion(disk, 0, MiB).equals(Buffer.alloc(MiB))).toBe(true);
    expect(agent.calls.filter(is("progress", since)).map((c) => c.progress)).toEqual([{ action: "wipe", phase: "wiping", device: "/dev/vda", bytesWritten: 0, total: 1, bytesDownloaded: 0 }]);
  }, STEP_TIMEOUT_MS);

  it("powers off when told, and no token reached the console or the access log", async () => {
    agent.give({ action: "poweroff" });
    const code = await Promise.race([vm!.exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 60_000))]);
    expect(code).toBe(0);
    expect(serial()).not.toContain(TOKEN);
    expect(access.map((a) => JSON.stringify(a)).join("\n")).not.toContain(TOKEN);
    console.info(`agent-api peer: qemu start → poweroff ${Date.now() - startedAt} ms`);
  }, 70_000);
});
