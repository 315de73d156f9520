/**
 * Issue 2's smoke test of the qemu peer: a VM in a lab namespace reaches iPXE
 * and runs a script. dnsmasq (not Anvil) is the DHCP and TFTP server, so this
 * proves the peer and the lab, independently of Anvil's boot services.
 *
 * The script is offered only to clients that send option 175 (iPXE's
 * encapsulated options, which only iPXE sends), and the script itself fetches
 * a per-MAC marker file: dnsmasq's TFTP log of that marker is the evidence
 * that iPXE ran it. qemu's NIC ROMs (Debian ipxe-qemu) carry iPXE for both
 * firmwares, so under SeaBIOS and OVMF alike the first DHCP client is iPXE,
 * announcing its architecture in option 60 / 93 (RFC 4578 §2.1: 0 = x86 BIOS,
 * 7 = x86-64 UEFI).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { NETMASK, SERVER_IFACE, SERVER_IP } from "./framework/boot-lan.js";
import { useBootLanPerTest } from "./framework/boot-lan-hooks.js";
import { startDnsmasq, startRouterAdvertiser, type Dnsmasq } from "./framework/dnsmasq.js";
import { waitFor } from "./framework/process.js";
import { startVm, type Firmware } from "./framework/qemu.js";

const VM_TIMEOUT_MS = 120_000;

const SCRIPT = [
  "#!ipxe",
  "echo anvil-smoke: iPXE ${version} on ${platform}",
  `imgfetch tftp://${SERVER_IP}/marker-\${mac:hexhyp} || echo anvil-smoke: marker fetch failed`,
  "echo anvil-smoke: script done",
  "",
].join("\n");

function tftpSent(log: string, file: string): boolean {
  return log.split("\n").some((l) => l.includes("sent ") && l.includes(`/${file} to `));
}

describe("a qemu VM in a lab namespace", () => {
  const env = useBootLanPerTest();

  it.each<{ firmware: Firmware; mac: string; arch: string }>([
    { firmware: "bios", mac: "52:54:00:77:01:01", arch: "00000" },
    { firmware: "uefi", mac: "52:54:00:77:01:02", arch: "00007" },
  ])(
    "reaches iPXE under $firmware, sends option 175 to dnsmasq and runs the script it is given",
    async ({ firmware, mac, arch }) => {
      const { lab, net } = env;
      const root = path.join(lab.dir, "tftp");
      mkdirSync(root, { recursive: true });
      const marker = `marker-${mac.replaceAll(":", "-")}`;
      writeFileSync(path.join(root, "smoke.ipxe"), SCRIPT);
      writeFileSync(path.join(root, marker), "marker\n");

      // An IPv6 router spares iPXE its ~13 s wait for one; the smoke test needs no more than that.
      await startRouterAdvertiser(lab, net.srv, SERVER_IFACE);
      const dnsmasq: Dnsmasq = await startDnsmasq(lab, net.srv, {
        iface: SERVER_IFACE,
        rangeStart: "10.77.0.100",
        rangeEnd: "10.77.0.150",
        netmask: NETMASK,
        tftpRoot: root,
        extra: [
          "--dhcp-match=set:ipxe175,175",
          "--dhcp-boot=tag:ipxe175,smoke.ipxe",
          // iPXE's no-pxedhcp (encapsulated option 175, sub-option 176): skip the ProxyDHCP wait.
          "--dhcp-option=encap:175,176,1b",
        ],
      });
      const tap = await net.addTap("tap0");
      const vm = startVm(lab, net.lan, { name: `ipxe-${firmware}`, firmware, tap, mac });

      await waitFor(`${firmware} VM to fetch ${marker} from its iPXE script`, () => Promise.resolve(tftpSent(dnsmasq.log(), marker)), {
        timeoutMs: VM_TIMEOUT_MS,
        intervalMs: 200,
        process: vm.process,
      }).catch((err: unknown) => {
        throw new Error(`${String(err)}\ndnsmasq:\n${dnsmasq.log().slice(-4000)}\nserial:\n${vm.serial().slice(-2000)}`);
      });
      const reachedMs = Date.now() - vm.startedAt;
      await vm.stop();

      const log = dnsmasq.log();
      expect(log).toMatch(new RegExp(`DHCPDISCOVER\\(${SERVER_IFACE}\\) ${mac}`));
      expect(log).toMatch(/user class: iPXE/);
      expect(log).toMatch(new RegExp(`vendor class: PXEClient:Arch:${arch}:`));
      expect(log).toMatch(/tags: .*ipxe175/);
      expect(tftpSent(log, "smoke.ipxe")).toBe(true);
      // Under SeaBIOS iPXE writes to VGA only; OVMF also routes its console to serial.
      if (firmware === "uefi") expect(vm.serial()).toMatch(/anvil-smoke: iPXE \S+ on efi/);
      console.info(`${firmware}: iPXE script ran ${reachedMs} ms after qemu start`);
    },
    VM_TIMEOUT_MS + 60_000,
  );
});
