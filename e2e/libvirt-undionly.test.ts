/**
 * Issue 4's legacy BIOS chainload on a libvirt VM: the NIC's option ROM plays
 * the firmware's PXE client, gets `undionly.kpxe` from Anvil's TFTP server
 * (`chainloadForeignIpxe: true`), runs it over the ROM's UNDI API, and that
 * iPXE reaches Anvil's HTTP script and boots the test payload.
 *
 * The loop breaker (ADR 0024): Anvil's reply to the ROM carries option 77
 * `Anvil`; Debian's undionly.kpxe reads the ROM's cached DHCPACK and asks
 * again with that user class, so it gets the script instead of itself. The
 * binary is Debian's (`/usr/lib/ipxe`, scripts/peers/debian.sh);
 * ANVIL_UNDIONLY_KPXE names another build to try.
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
import { firstLogLine, logOffset } from "./framework/log-watch.js";
import { NetnsLab } from "./framework/netns.js";
import type { Supervised } from "./framework/process.js";
import { parseBootReport, testBootPayload, tokenDigest } from "./framework/test-initramfs.js";

const UNDIONLY = process.env.ANVIL_UNDIONLY_KPXE ?? "/usr/lib/ipxe/undionly.kpxe";
// 55 s at load ~5, 130 s at load ~24 (docs/testing.md): TCG boots slow down with the machine.
const BOOT_TIMEOUT_MS = 300_000;
const IP = "10.77.0.61";

interface LogEvent {
  readonly event?: string;
  readonly path?: string;
  readonly status?: number;
  readonly file?: string;
  readonly client?: string;
  readonly outcome?: string;
}

describe("a legacy BIOS libvirt VM chainloading undionly.kpxe from Anvil's TFTP", () => {
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
      copyFileSync(UNDIONLY, path.join(dir, "ipxe/undionly.kpxe"));
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

  it("gets undionly.kpxe over TFTP once, chainloads into it and boots the payload from Anvil's HTTP script", async () => {
    const from = logOffset(anvil.logFile);
    const t = Date.now();
    const firstHttp = firstLogLine(anvil.logFile, /"event":"http".*"path":"\/boot\.ipxe"/, { timeoutMs: BOOT_TIMEOUT_MS, fromOffset: from });
    firstHttp.catch(() => undefined);
    await bmc.power.setPower("on");
    const r = await recorder.next((q) => q.path === "/report" && q.at >= t && parseBootReport(q.body).mac === vm.mac, BOOT_TIMEOUT_MS);
    expect(parseBootReport(r.body)).toMatchObject({ result: "ok", addr: `${IP}/24`, tokensum: tokenDigest(token) });
    const http = await firstHttp;
    const events = readFileSync(anvil.logFile, "utf8")
      .slice(from)
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as LogEvent);
    // Once: a chainloaded iPXE that still looked foreign would be handed undionly.kpxe again and again.
    const transfers = events.filter((e) => e.event === "transfer-end" && e.file === "undionly.kpxe" && e.client?.startsWith(`${IP}:`));
    expect(transfers.map((e) => e.outcome)).toEqual(["completed"]);
    expect(events.some((e) => e.event === "http" && e.path === "/boot.ipxe" && e.status === 200)).toBe(true);
    await vm.domain.waitForState("shut off", 60_000);
    console.info(`bios/undionly (${path.basename(UNDIONLY)}): power on → first /boot.ipxe ${http.at - t} ms, → payload report ${r.at - t} ms`);
  }, BOOT_TIMEOUT_MS + 90_000);
});
