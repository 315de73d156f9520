/**
 * Issue 4's local-disk gap on a real VM: a libvirt TCG domain behind
 * virtualbmc (IPMI, driven by Anvil's driver) whose firmware boots the
 * network first. While Anvil's boot service (`anvil pxe serve`, file backend)
 * says `ramdisk` for its MAC, it boots the test payload; once the hosts file
 * says `local-disk` (the state after provisioning), the same power-on gets
 * Anvil's local-disk iPXE script, boots the installed test OS from the disk,
 * and that OS reports the digest of the user data on its config drive.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectBmc, type BmcClient } from "../bmc/index.js";
import { startAnvilBoot, type AnvilBoot } from "./framework/anvil-boot.js";
import { bootLan, SERVER_IFACE, SERVER_IP } from "./framework/boot-lan.js";
import { startRouterAdvertiser } from "./framework/dnsmasq.js";
import { startHttpRecorder, type HttpRecorder } from "./framework/http-recorder.js";
import { configDriveDisk } from "./framework/libvirt-disk.js";
import { startVmLab, type LabVm, type VmLab } from "./framework/libvirt-lab.js";
import { firstLogLine, logOffset } from "./framework/log-watch.js";
import { NetnsLab } from "./framework/netns.js";
import { parseBootReport, testBootPayload, tokenDigest } from "./framework/test-initramfs.js";
import { parseTestOsReport, reportingUserData, testOsImage } from "./framework/test-os-image.js";

const BOOT_TIMEOUT_MS = 150_000;
const IP = "10.77.0.51";
const sha256 = (s: string): string => createHash("sha256").update(s).digest("hex");

interface AccessLine {
  readonly event?: string;
  readonly path?: string;
  readonly status?: number;
}

function accessLines(anvil: AnvilBoot, fromOffset: number): AccessLine[] {
  return readFileSync(anvil.process.logFile, "utf8")
    .slice(fromOffset)
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as AccessLine)
    .filter((e) => e.event === "http");
}

describe("a libvirt VM behind virtualbmc, network-first, switched by Anvil's boot service from ramdisk to local disk", () => {
  const scratch = mkdtempSync(path.join(os.tmpdir(), "anvil-libvirt-boot-"));
  const lab = new NetnsLab();
  const token = randomBytes(16).toString("hex");
  const uuid = randomUUID();
  let vmLab: VmLab;
  let vm: LabVm;
  let anvil: AnvilBoot;
  let recorder: HttpRecorder;
  let bmc: BmcClient;
  let userData: string;

  beforeAll(async () => {
    try {
      const net = await bootLan(lab);
      await startRouterAdvertiser(lab, net.srv, SERVER_IFACE);
      recorder = await startHttpRecorder(lab, net.srv, SERVER_IP, 8081);
      userData = reportingUserData(recorder.url("/report"), `# ${randomBytes(8).toString("hex")}\n`);
      const disk = path.join(scratch, "installed.raw");
      configDriveDisk({ image: testOsImage(), out: disk, userData, metaData: { uuid, "local-hostname": "vm0" } });
      vmLab = await startVmLab({ net, vms: [{ bmc: "ipmi", diskImage: disk, diskBytes: 1 << 30 }] });
      vm = vmLab.vms[0]!;
      anvil = await startAnvilBoot(net, testBootPayload(), {
        hosts: [{ mac: vm.mac, ip: IP, token }],
        kernelArgs: `console=ttyS0 quiet anvil.report=${recorder.url("/report")}`,
      });
      bmc = await connectBmc({ address: vm.bmc.address, credentials: vm.bmc, timeoutMs: 30_000 });
    } catch (err) {
      await vmLab?.stop().catch(() => undefined);
      await lab.cleanup();
      throw err;
    }
  }, 240_000);

  afterAll(async () => {
    try {
      await bmc?.close();
      await vmLab?.stop();
      await lab.cleanup();
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 60_000);

  it("boots the ramdisk payload from the network while the host's action is ramdisk", async () => {
    const t = Date.now();
    await bmc.power.setPower("on");
    const r = await recorder.next((q) => q.path === "/report" && q.at >= t && parseBootReport(q.body).mac === vm.mac, BOOT_TIMEOUT_MS);
    expect(parseBootReport(r.body)).toMatchObject({ result: "ok", addr: `${IP}/24`, tokensum: tokenDigest(token) });
    await vm.domain.waitForState("shut off", 60_000);
    expect(await bmc.power.getPower()).toBe("off");
    console.info(`ipmi: power on → ramdisk payload report ${r.at - t} ms`);
  }, BOOT_TIMEOUT_MS + 90_000);

  it("boots the installed OS from its disk once the action is local-disk, and the OS reads its config drive", async () => {
    const hostsFile = path.join(path.dirname(anvil.configFile), "hosts.yaml");
    const logFrom = logOffset(anvil.process.logFile);
    writeFileSync(hostsFile, JSON.stringify({ hosts: [{ mac: vm.mac, name: "vm0", reservation: { ip: IP }, boot: { kind: "local-disk" } }] }));
    await firstLogLine(anvil.process.logFile, /"event":"hosts-reloaded"/, { timeoutMs: 30_000, fromOffset: logFrom });
    const serialFrom = vm.domain.serial().length;

    const t = Date.now();
    await bmc.power.setPower("on");
    const r = await recorder.next((q) => q.path === "/report" && q.at >= t && q.body.includes("userdata_sha256="), BOOT_TIMEOUT_MS);
    expect(parseTestOsReport(r.body)).toEqual({ userdataSha256: sha256(userData), uuid, device: "/dev/vda2", hostname: "vm0", providerid: "" });
    expect(vm.domain.serial().slice(serialFrom)).toContain("anvil-test-os: booted from disk");
    await vm.domain.waitForState("shut off", 60_000);

    // It asked Anvil what to boot and got the local-disk script; no ramdisk asset was fetched.
    const http = accessLines(anvil, logFrom);
    const mine = `/ipxe/${vm.mac.replaceAll(":", "-")}`;
    expect(http.some((e) => e.path === mine && e.status === 200)).toBe(true);
    expect(http.filter((e) => e.path?.startsWith("/assets/"))).toEqual([]);
    console.info(`ipmi: power on → installed OS report from disk ${r.at - t} ms`);
  }, BOOT_TIMEOUT_MS + 90_000);
});
