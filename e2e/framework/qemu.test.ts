/**
 * The VM framework and the test boot payload against real peers: qemu (TCG)
 * boots the payload directly (`-kernel/-initrd`) on the lab's LAN, the
 * payload gets a lease from dnsmasq and reports to an HTTP recorder, then
 * powers off. Proves the pieces the network-boot tests stand on, without any
 * of Anvil's services. (OVMF is exercised by e2e/qemu-ipxe and e2e/pxe-vm.)
 */
import { describe, expect, it } from "vitest";
import { NETMASK, SERVER_IFACE, SERVER_IP } from "./boot-lan.js";
import { useBootLanPerTest } from "./boot-lan-hooks.js";
import { startDnsmasq } from "./dnsmasq.js";
import { startHttpRecorder } from "./http-recorder.js";
import { startVm, type Firmware, type NicModel } from "./qemu.js";
import { parseBootReport, testBootPayload } from "./test-initramfs.js";

const VM_TIMEOUT_MS = 120_000;

describe("a qemu VM booting the test payload", () => {
  const env = useBootLanPerTest();

  it.each<{ firmware: Firmware; nic: NicModel; mac: string }>([
    { firmware: "bios", nic: "e1000", mac: "52:54:00:77:00:11" },
    { firmware: "bios", nic: "virtio-net-pci", mac: "52:54:00:77:00:12" },
  ])(
    "takes a dnsmasq lease and reports it over HTTP under $firmware with $nic, then powers off",
    async ({ firmware, nic, mac }) => {
      const { lab, net } = env;
      const payload = testBootPayload();
      await startDnsmasq(lab, net.srv, {
        iface: SERVER_IFACE,
        rangeStart: "10.77.0.100",
        rangeEnd: "10.77.0.150",
        netmask: NETMASK,
      });
      const recorder = await startHttpRecorder(lab, net.srv, SERVER_IP, 8081);
      const tap = await net.addTap("tap0");
      const vm = startVm(lab, net.lan, {
        name: `direct-${firmware}`,
        firmware,
        nic,
        tap,
        mac,
        direct: {
          kernel: payload.kernel,
          initrd: payload.initrd,
          append: `console=ttyS0 quiet anvil.report=${recorder.url("/report")}`,
        },
      });
      const req = await recorder.next((r) => r.path === "/report", VM_TIMEOUT_MS);
      const report = parseBootReport(req.body);
      expect(report).toMatchObject({ result: "ok", mac, iface: "eth0" });
      expect(report.addr).toMatch(/^10\.77\.0\.(1[0-4]\d|150)\/24$/);
      expect(req.remote).toBe(report.addr.split("/")[0]);
      const exit = await vm.waitForExit(30_000);
      expect(exit.code).toBe(0);
      console.info(
        `${firmware}/${nic}: report ${req.at - vm.startedAt} ms after qemu start (guest uptime ${report.uptime} s), exit at ${exit.elapsedMs} ms`,
      );
    },
    VM_TIMEOUT_MS + 60_000,
  );
});
