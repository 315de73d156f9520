/**
 * Issue 4's legacy BIOS chainload on a libvirt VM: the NIC's option ROM plays
 * the firmware's PXE client, gets `undionly.kpxe` from Anvil's TFTP server
 * (`chainloadForeignIpxe: true`), runs it over the ROM's UNDI API, and that
 * iPXE reaches Anvil's HTTP script and boots the test payload.
 *
 * Needs an undionly.kpxe that breaks the chainload loop: Debian's sends the
 * same user class as the ROM, so Anvil would hand it undionly.kpxe again.
 * Set ANVIL_UNDIONLY_KPXE to a build with Anvil's user class or an embedded
 * `dhcp` + `chain http://${next-server}:8080/boot.ipxe` script; without it
 * this file is skipped (docs/testing.md, "Legacy BIOS and undionly.kpxe").
 */
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectBmc, type BmcClient } from "../bmc/index.js";
import { bootLan, SERVER_IFACE, SERVER_IP } from "./framework/boot-lan.js";
import { startRouterAdvertiser } from "./framework/dnsmasq.js";
import { startHttpRecorder, type HttpRecorder } from "./framework/http-recorder.js";
import { startVmLab, type LabVm, type VmLab } from "./framework/libvirt-lab.js";
import { firstLogLine } from "./framework/log-watch.js";
import { NetnsLab } from "./framework/netns.js";
import type { Supervised } from "./framework/process.js";
import { parseBootReport, testBootPayload, tokenDigest } from "./framework/test-initramfs.js";

const UNDIONLY = process.env.ANVIL_UNDIONLY_KPXE;
const BOOT_TIMEOUT_MS = 150_000;
const IP = "10.77.0.61";

interface LogEvent {
  readonly event?: string;
  readonly path?: string;
  readonly status?: number;
  readonly file?: string;
  readonly client?: string;
  readonly outcome?: string;
}

describe.skipIf(UNDIONLY === undefined)("a legacy BIOS libvirt VM chainloading undionly.kpxe from Anvil's TFTP", () => {
  const lab = new NetnsLab();
  const token = randomBytes(16).toString("hex");
  let vmLab: VmLab;
  let vm: LabVm;
  let recorder: HttpRecorder;
  let anvil: Supervised;
  let bmc: BmcClient;

  beforeAll(async () => {
    try {
      const net = await bootLan(lab);
      await startRouterAdvertiser(lab, net.srv, SERVER_IFACE);
      recorder = await startHttpRecorder(lab, net.srv, SERVER_IP, 8081);
      vmLab = await startVmLab({ net, vms: [{ bmc: "redfish" }] });
      vm = vmLab.vms[0]!;
      const dir = path.join(lab.dir, "anvil");
      mkdirSync(path.join(dir, "assets"), { recursive: true });
      mkdirSync(path.join(dir, "ipxe"), { recursive: true });
      const payload = testBootPayload();
      copyFileSync(payload.kernel, path.join(dir, "assets/vmlinuz"));
      copyFileSync(payload.initrd, path.join(dir, "assets/initramfs.gz"));
      copyFileSync(UNDIONLY!, path.join(dir, "ipxe/undionly.kpxe"));
      writeFileSync(
        path.join(dir, "hosts.yaml"),
        JSON.stringify({ hosts: [{ mac: vm.mac, name: "vm0", reservation: { ip: IP }, boot: { kind: "ramdisk", token, kernelUrl: "vmlinuz", initrdUrl: "initramfs.gz" } }] }),
      );
      const config = path.join(dir, "pxe.yaml");
      writeFileSync(
        config,
        JSON.stringify({
          serverAddress: SERVER_IP,
          hostsFile: "hosts.yaml",
          dhcp: { mode: "reservation", subnets: [{ cidr: "10.77.0.0/24", router: SERVER_IP }], leaseFile: "leases.json", chainloadForeignIpxe: true },
          tftp: { ipxeDir: "ipxe", ipxeFiles: ["undionly.kpxe"] },
          http: { port: 8080, assetsDir: "assets" },
          ramdisk: { kernelArgs: `console=ttyS0 quiet anvil.report=${recorder.url("/report")}` },
        }),
      );
      anvil = lab.startNode(net.srv, { name: "anvil-pxe", entry: "cmd/anvil.ts", args: ["pxe", "serve", "--config", config] });
      await firstLogLine(anvil.logFile, /"event":"ready"/, { timeoutMs: 60_000 });
      bmc = await connectBmc({ address: vm.bmc.address, credentials: vm.bmc });
    } catch (err) {
      await vmLab?.stop().catch(() => undefined);
      await lab.cleanup();
      throw err;
    }
  }, 240_000);

  afterAll(async () => {
    await bmc?.close();
    await vmLab?.stop();
    await lab.cleanup();
  }, 60_000);

  it("gets undionly.kpxe over TFTP, chainloads into it and boots the payload from Anvil's HTTP script", async () => {
    const t = Date.now();
    await bmc.power.setPower("on");
    const r = await recorder.next((q) => q.path === "/report" && q.at >= t && parseBootReport(q.body).mac === vm.mac, BOOT_TIMEOUT_MS);
    expect(parseBootReport(r.body)).toMatchObject({ result: "ok", addr: `${IP}/24`, tokensum: tokenDigest(token) });
    const events = readFileSync(anvil.logFile, "utf8")
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as LogEvent);
    expect(events.some((e) => e.event === "transfer-end" && e.file === "undionly.kpxe" && e.outcome === "completed" && e.client?.startsWith(`${IP}:`))).toBe(true);
    expect(events.some((e) => e.event === "http" && e.path === "/boot.ipxe" && e.status === 200)).toBe(true);
    await vm.domain.waitForState("shut off", 60_000);
    console.info(`bios/undionly: power on → payload report ${r.at - t} ms`);
  }, BOOT_TIMEOUT_MS + 90_000);
});
