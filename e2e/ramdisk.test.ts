/**
 * The deploy ramdisk against real peers: qemu (TCG) boots Anvil's kernel +
 * initramfs directly with two disks (virtio-blk and a virtio-scsi scsi-hd,
 * distinct serials and a WWN), and the agent talks to a test manager on
 * loopback that speaks docs/agent-protocol.md. One boot serves every step
 * (TCG boots are slow); the disk files are checked from the host between
 * steps with sfdisk and mtools.
 */
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, openSync, readSync, closeSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgentManager, type AgentManager } from "./framework/agent-manager.js";
import { HOST_FROM_GUEST, startRamdiskVm, type RamdiskVm, type VmDisk } from "./framework/ramdisk.js";

const GiB = 1 << 30;
const MiB = 1 << 20;
const IMAGE_BYTES = 64 * MiB;
const BOOT_TIMEOUT_MS = 180_000;
const STEP_TIMEOUT_MS = 150_000;
const TOKEN = randomBytes(24).toString("base64url");
const MAC = "52:54:00:a5:00:01";
const SCSI_WWN = "0x5000c50015ea71ac";
const USER_DATA = `#cloud-config\n# anvil ramdisk test ${randomBytes(8).toString("hex")}\n`;

const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");
const md5 = (b: Buffer): string => createHash("md5").update(b).digest("hex");
const sha512 = (b: Buffer): string => createHash("sha512").update(b).digest("hex");

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

/** A 64 MiB raw disk image with one partition, its table written by the real sfdisk. */
function makeImage(dir: string, name: string, label: "dos" | "gpt"): Buffer {
  const file = path.join(dir, name);
  const img = Buffer.alloc(IMAGE_BYTES);
  // Incompressible data in the partition so gzip and hashing see real work.
  randomBytes(16 * MiB).copy(img, 2 * MiB);
  writeFileSync(file, img);
  execFileSync("sfdisk", ["--quiet", file], { input: `label: ${label}\nstart=2048, size=40960, type=${label === "dos" ? "83" : "0FC63DAF-8483-4772-8E79-3D69D8477DE4"}\n` });
  return readRegion(file, 0, IMAGE_BYTES);
}

interface SfdiskTable {
  partitiontable: { label: string; lastlba?: number; partitions?: { node: string; start: number; size: number; type: string; name?: string }[] };
}

function partitionTable(file: string): SfdiskTable["partitiontable"] | undefined {
  try {
    return (JSON.parse(execFileSync("sfdisk", ["-J", file], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })) as SfdiskTable).partitiontable;
  } catch {
    return undefined;
  }
}

function mtools(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", env: { ...process.env, MTOOLS_SKIP_CHECK: "1" } });
}

describe("the deploy ramdisk in a qemu VM", () => {
  let dir: string;
  let manager: AgentManager;
  let vm: RamdiskVm | undefined;
  const disks: VmDisk[] = [];
  let raw: Buffer;
  let gpt: Buffer;
  let configDriveStart = 0;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "anvil-ramdisk-"));
    manager = await startAgentManager(TOKEN);
    raw = makeImage(dir, "raw.img", "dos");
    gpt = makeImage(dir, "gpt.img", "gpt");
    manager.files.set("raw.img", raw);
    manager.files.set("gpt.img.gz", gzipSync(gpt, { level: 1 }));
    manager.files.set("gpt.img.gz.md5", Buffer.from(`${md5(manager.files.get("gpt.img.gz")!)}  gpt.img.gz\n${"0".repeat(32)}  other.img\n`));
    manager.files.set("fake.qcow2", Buffer.concat([Buffer.from([0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3]), Buffer.alloc(4096)]));
    disks.push(
      { file: path.join(dir, "vda.raw"), sizeBytes: 5 * GiB, bus: "virtio", serial: "ANVIL-VIRTIO-1" },
      { file: path.join(dir, "sda.raw"), sizeBytes: 6 * GiB, bus: "scsi", serial: "ANVIL-SCSI-2", wwn: SCSI_WWN },
    );
    vm = startRamdiskVm({
      dir,
      mac: MAC,
      disks,
      append: `console=ttyS0 quiet anvil.api=http://${HOST_FROM_GUEST}:${manager.port}/agent/v1 anvil.token=${TOKEN}`,
    });
    const first = await manager.waitFor((r) => r.path === "/instructions", BOOT_TIMEOUT_MS);
    console.info(`ramdisk: first agent request ${first.at - vm.startedAt} ms after qemu start (TCG)`);
  }, BOOT_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    try {
      await vm?.stop();
      const lines = vm?.serial().split("\n").filter((l) => l.startsWith("anvil-")) ?? [];
      console.info(`ramdisk console:\n${lines.join("\n")}`);
      await manager?.close();
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  const run = async (instruction: Record<string, unknown>): Promise<{ result: Awaited<ReturnType<AgentManager["result"]>>; since: number }> => {
    const since = Date.now();
    manager.give(instruction);
    return { result: await manager.result(since, STEP_TIMEOUT_MS), since };
  };

  it("authenticates every API request with this host's Bearer token", () => {
    expect(manager.requests.length).toBeGreaterThan(0);
    expect(manager.requests.every((r) => r.authorized)).toBe(true);
  });

  it("posts an inventory matching the disks, NIC, CPU and memory qemu was given", async () => {
    const { result, since } = await run({ action: "inspect" });
    expect(result).toMatchObject({ action: "inspect", ok: true });
    const inv = (await manager.waitFor((r) => r.path === "/inventory" && r.at >= since, 5000)).body as {
      hardware: { storage: Record<string, unknown>[]; nics: Record<string, unknown>[]; cpu: Record<string, unknown>; ramMebibytes: number; systemVendor: Record<string, string>; firmware: { bios: Record<string, string> } };
    };
    const hw = inv.hardware;
    expect(hw.storage).toEqual([
      expect.objectContaining({ name: "/dev/sda", sizeBytes: 6 * GiB, serialNumber: "ANVIL-SCSI-2", wwn: SCSI_WWN, wwnWithExtension: SCSI_WWN, vendor: "QEMU" }),
      expect.objectContaining({ name: "/dev/vda", sizeBytes: 5 * GiB, serialNumber: "ANVIL-VIRTIO-1", wwn: "" }),
    ]);
    expect(hw.storage[0]?.hctl).toMatch(/^\d+:0:0:0$/);
    expect(hw.nics).toEqual([expect.objectContaining({ mac: MAC, ip: "10.0.2.15", model: "0x1af4 0x1000" })]);
    expect(hw.cpu).toMatchObject({ arch: "x86_64", count: 1 });
    expect(hw.cpu.model).toMatch(/QEMU/);
    expect(hw.ramMebibytes).toBe(512);
    expect(hw.systemVendor.manufacturer).toBe("QEMU");
    expect(hw.firmware.bios.vendor).toMatch(/SeaBIOS/);
  }, STEP_TIMEOUT_MS);

  it.each([
    { why: "no disk matches the root device hints", hints: { serialNumber: "NO-SUCH-DISK" }, url: "raw.img", code: "NO_ROOT_DEVICE" },
    { why: "the image URL answers 404", hints: {}, url: "missing.img", code: "IMAGE_FETCH_FAILED" },
    { why: "the image is qcow2", hints: {}, url: "fake.qcow2", code: "IMAGE_FORMAT_UNSUPPORTED" },
  ])("fails a deploy with $code when $why", async ({ hints, url, code }) => {
    const { result } = await run({
      action: "deploy",
      image: { url: `http://${HOST_FROM_GUEST}:${manager.port}/files/${url}`, checksum: "0".repeat(64), checksumType: "sha256" },
      rootDeviceHints: hints,
    });
    expect(result).toMatchObject({ action: "deploy", ok: false, error: { code } });
  }, STEP_TIMEOUT_MS);

  it("writes a raw image verified by sha256 to the disk the WWN hint names, byte for byte, with growing progress", async () => {
    const { result, since } = await run({
      action: "deploy",
      image: { url: `http://${HOST_FROM_GUEST}:${manager.port}/files/raw.img`, checksum: sha256(raw), checksumType: "sha256", format: "raw" },
      rootDeviceHints: { wwn: SCSI_WWN, minSizeGigabytes: 5 },
    });
    expect(result).toEqual({ action: "deploy", ok: true, rootDevice: "/dev/sda" });
    expect(sha256(readRegion(disks[1]!.file, 0, IMAGE_BYTES))).toBe(sha256(raw));
    expect(readRegion(disks[0]!.file, 0, MiB).equals(Buffer.alloc(MiB))).toBe(true);
    const progress = manager.requests.filter((r) => r.path === "/progress" && r.at >= since).map((r) => r.body as { bytesWritten: number; bytesTotal: number; phase: string });
    const written = progress.map((p) => p.bytesWritten);
    expect(written).toEqual([...written].sort((a, b) => a - b));
    expect(written.at(-1)).toBe(IMAGE_BYTES);
    expect(progress.every((p) => p.bytesTotal === IMAGE_BYTES)).toBe(true);
    console.info(`raw deploy: ${progress.length} progress reports, bytesWritten ${written.join(" → ")}`);
  }, STEP_TIMEOUT_MS);

  it("writes a gzip GPT image checked by an md5 checksum URL to the smallest disk, with a config-2 drive holding the user data", async () => {
    const networkData = { links: [{ id: "eth0", type: "phy", ethernet_mac_address: MAC }], networks: [], services: [] };
    const { result } = await run({
      action: "deploy",
      image: { url: `http://${HOST_FROM_GUEST}:${manager.port}/files/gpt.img.gz`, checksumUrl: `http://${HOST_FROM_GUEST}:${manager.port}/files/gpt.img.gz.md5`, checksumType: "md5" },
      configDrive: { userData: USER_DATA, metaData: { uuid: "0b8e2f5c-host", "local-hostname": "host-0" }, networkData },
    });
    expect(result).toEqual({ action: "deploy", ok: true, rootDevice: "/dev/vda" });
    const file = disks[0]!.file;
    // Everything between the primary GPT (LBA 0-33) and the image's old backup GPT (last 33 LBAs) is the image's own bytes.
    expect(sha256(readRegion(file, 34 * 512, IMAGE_BYTES - 67 * 512))).toBe(sha256(gpt.subarray(34 * 512, IMAGE_BYTES - 33 * 512)));
    const table = partitionTable(file);
    expect(table?.label).toBe("gpt");
    expect(table?.lastlba).toBe(5 * GiB / 512 - 34);
    const verify = execFileSync("sfdisk", ["--verify", file], { encoding: "utf8" });
    expect(verify).not.toMatch(/corrupt|mismatch|invalid/i);
    const cd = table?.partitions?.[1];
    expect(cd).toMatchObject({ name: "config-2" });
    expect(cd!.start * 512 + cd!.size * 512).toBeLessThanOrEqual(5 * GiB);
    expect(cd!.start * 512).toBeGreaterThanOrEqual(IMAGE_BYTES);
    configDriveStart = cd!.start * 512;
    const fat = `${file}@@${configDriveStart}`;
    expect(mtools("mtype", ["-i", fat, "::openstack/latest/user_data"])).toBe(USER_DATA);
    expect(JSON.parse(mtools("mtype", ["-i", fat, "::openstack/latest/meta_data.json"]))).toEqual({ uuid: "0b8e2f5c-host", "local-hostname": "host-0" });
    expect(JSON.parse(mtools("mtype", ["-i", fat, "::openstack/latest/network_data.json"]))).toEqual(networkData);
    expect(mtools("mlabel", ["-s", "-i", fat, "::"])).toMatch(/config-2/i);
  }, STEP_TIMEOUT_MS);

  it("fails a deploy whose sha512 does not match with CHECKSUM_MISMATCH and leaves no partition table behind", async () => {
    expect(partitionTable(disks[1]!.file)?.label).toBe("dos");
    const { result } = await run({
      action: "deploy",
      image: { url: `http://${HOST_FROM_GUEST}:${manager.port}/files/raw.img`, checksum: sha512(Buffer.from("not the image")), checksumType: "sha512" },
      rootDeviceHints: { serialNumber: "anvil-scsi-2" },
    });
    expect(result).toMatchObject({ ok: false, rootDevice: "/dev/sda", error: { code: "CHECKSUM_MISMATCH" } });
    expect(partitionTable(disks[1]!.file)).toBeUndefined();
    expect(readRegion(disks[1]!.file, 0, MiB).equals(Buffer.alloc(MiB))).toBe(true);
  }, STEP_TIMEOUT_MS);

  it("wipes every disk's partition tables, GPT backup included, and signatures", async () => {
    expect(partitionTable(disks[0]!.file)?.label).toBe("gpt");
    const { result } = await run({ action: "wipe", cleaningMode: "metadata" });
    expect(result).toEqual({ action: "wipe", ok: true, wiped: ["/dev/sda", "/dev/vda"] });
    for (const d of disks) {
      expect(partitionTable(d.file)).toBeUndefined();
      expect(readRegion(d.file, 0, MiB).equals(Buffer.alloc(MiB))).toBe(true);
      expect(readRegion(d.file, d.sizeBytes - MiB, MiB).equals(Buffer.alloc(MiB))).toBe(true);
    }
    // The config drive's FAT boot sector, inside the disk: gone too.
    expect(configDriveStart).toBeGreaterThan(0);
    expect(readRegion(disks[0]!.file, configDriveStart, MiB).equals(Buffer.alloc(MiB))).toBe(true);
  }, STEP_TIMEOUT_MS);

  it("never shows the token or the user data on the console, and powers off when told", async () => {
    manager.give({ action: "poweroff" });
    const code = await vm!.waitForExit(60_000);
    expect(code).toBe(0);
    const serial = vm!.serial();
    expect(serial).toMatch(/anvil-agent: \[[\d.]+\] action deploy done/);
    expect(serial).not.toContain(TOKEN);
    expect(serial).not.toContain(USER_DATA.trim().split("\n")[1]!);
  }, 90_000);
});
