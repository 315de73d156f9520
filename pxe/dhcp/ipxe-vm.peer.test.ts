/**
 * A real iPXE (qemu's NIC ROM under SeaBIOS) against Anvil's DHCP in
 * reservation mode: it must be recognised as iPXE, get the HTTP script URL
 * and ask for it. The time from qemu start to that first HTTP request is the
 * figure the `no-pxedhcp` option (175.176) and the IPv6 router advertisement
 * exist to shrink; both variants are measured and printed.
 */
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startAnvilDhcp } from "../../e2e/framework/anvil-dhcp.js";
import { bootLan, SERVER_IFACE, SERVER_IP, type BootLan } from "../../e2e/framework/boot-lan.js";
import { startRouterAdvertiser } from "../../e2e/framework/dnsmasq.js";
import { startHttpRecorder } from "../../e2e/framework/http-recorder.js";
import { NetnsLab } from "../../e2e/framework/netns.js";
import { waitFor } from "../../e2e/framework/process.js";
import { startVm } from "../../e2e/framework/qemu.js";

const VM_TIMEOUT_MS = 90_000;
const MAC = "52:54:00:77:0d:01";

describe("iPXE in a qemu VM against Anvil's DHCP", () => {
  let lab: NetnsLab;
  let net: BootLan;

  beforeEach(async () => {
    lab = new NetnsLab();
    net = await bootLan(lab);
  });

  afterEach(async () => {
    await lab.cleanup();
  });

  it.each<{ variant: string; noPxeDhcp: boolean }>([
    { variant: "with no-pxedhcp", noPxeDhcp: true },
    { variant: "without no-pxedhcp", noPxeDhcp: false },
  ])(
    "leases to the BIOS VM's iPXE and sends it to the script URL ($variant)",
    async ({ noPxeDhcp }) => {
      await startRouterAdvertiser(lab, net.srv, SERVER_IFACE);
      const http = await startHttpRecorder(lab, net.srv, SERVER_IP, 8080);
      const anvil = await startAnvilDhcp(lab, net.srv, {
        dhcp: {
          mode: "reservation",
          serverAddress: SERVER_IP,
          httpBaseUrl: `http://${SERVER_IP}:8080`,
          scriptUrl: `http://${SERVER_IP}:8080/boot/{mac}.ipxe`,
          ipxeNoProxyDhcp: noPxeDhcp,
          subnets: [{ cidr: "10.77.0.0/24", pool: { start: "10.77.0.100", end: "10.77.0.150" }, router: SERVER_IP }],
        },
        hosts: [{ mac: MAC, name: "default/vm", boot: { kind: "local-disk" } }],
      });
      const tap = await net.addTap("tap0");
      const vm = startVm(lab, net.lan, { name: "ipxe-bios", firmware: "bios", tap, mac: MAC });
      const first = await http
        // iPXE percent-encodes the colons of the MAC in the URL path.
        .next((r) => decodeURIComponent(r.path) === `/boot/${MAC}.ipxe`, VM_TIMEOUT_MS, () => (vm.process.child.exitCode !== null ? "qemu exited" : undefined))
        .catch((err: unknown) => {
          throw new Error(`${String(err)}\nanvil:\n${anvil.process.tail(20)}\nrequests: ${JSON.stringify(http.requests())}`);
        });
      const ms = first.at - vm.startedAt;
      const m = await anvil.metrics();
      expect(m.replies.OFFER).toBeGreaterThanOrEqual(1);
      expect(m.replies.ACK).toBeGreaterThanOrEqual(1);
      expect(first.remote).toMatch(/10\.77\.0\.1\d\d/);
      console.info(`BIOS iPXE, Anvil DHCP ${noPxeDhcp ? "with" : "without"} no-pxedhcp, RA on: first HTTP request ${ms} ms after qemu start`);
      await vm.stop();
    },
    VM_TIMEOUT_MS + 60_000,
  );

  it(
    "ends iPXE's IPv6 wait with Anvil's own router advertisements (routerAdvertisements, dnsmasq RA-only, router lifetime 0)",
    async () => {
      // The provisioning interface needs an IPv6 prefix for the advertisements; no other RA sender runs here.
      await lab.ip(net.srv, ["-6", "addr", "add", "fd77::1/64", "dev", SERVER_IFACE, "nodad"]);
      const http = await startHttpRecorder(lab, net.srv, SERVER_IP, 8080);
      const anvil = await startAnvilDhcp(lab, net.srv, {
        dhcp: {
          mode: "reservation",
          serverAddress: SERVER_IP,
          httpBaseUrl: `http://${SERVER_IP}:8080`,
          scriptUrl: `http://${SERVER_IP}:8080/boot/{mac}.ipxe`,
          subnets: [{ cidr: "10.77.0.0/24", pool: { start: "10.77.0.100", end: "10.77.0.150" }, router: SERVER_IP }],
          routerAdvertisements: { interface: SERVER_IFACE },
        },
        hosts: [{ mac: MAC, name: "default/vm", boot: { kind: "local-disk" } }],
      });
      await waitFor("the router advertiser", () => Promise.resolve(/router advertisements on/.test(anvil.process.tail(50))), { timeoutMs: 10_000, process: anvil.process });
      const tap = await net.addTap("tap2");
      const vm = startVm(lab, net.lan, { name: "ipxe-bios-ra", firmware: "bios", tap, mac: MAC });
      const first = await http
        .next((r) => decodeURIComponent(r.path) === `/boot/${MAC}.ipxe`, VM_TIMEOUT_MS, () => (vm.process.child.exitCode !== null ? "qemu exited" : undefined))
        .catch((err: unknown) => {
          throw new Error(`${String(err)}\nanvil:\n${anvil.process.tail(20)}`);
        });
      const ms = first.at - vm.startedAt;
      console.info(`BIOS iPXE, Anvil DHCP with no-pxedhcp, RA from Anvil's own sender: first HTTP request ${ms} ms after qemu start`);
      // Without any advertisement iPXE alone waits ~13 s before its first HTTP request (docs/pxe.md figures);
      // this bound separates the two even on the loaded TCG machine.
      expect(ms).toBeLessThan(12_000);
      expect(anvil.process.tail(50)).not.toMatch(/router advertiser exited/);
      await vm.stop();
    },
    VM_TIMEOUT_MS + 60_000,
  );

  it(
    "takes OVMF's own PXE client through TFTP to iPXE and on to the script URL",
    async () => {
      const mac = "52:54:00:77:0d:02";
      const root = path.join(lab.dir, "tftp");
      mkdirSync(root, { recursive: true });
      copyFileSync("/usr/lib/ipxe/ipxe.efi", path.join(root, "ipxe.efi"));
      // dnsmasq as a TFTP server only (no DHCP range): Anvil alone answers DHCP.
      const tftp = lab.start(net.srv, {
        name: "tftp",
        command: "/usr/sbin/dnsmasq",
        args: ["--no-daemon", "--conf-file=/dev/null", "--port=0", "--enable-tftp", `--tftp-root=${root}`, `--interface=${SERVER_IFACE}`, "--bind-interfaces", "--pid-file=", "--user=root", "--log-facility=-"],
      });
      await waitFor("dnsmasq TFTP", () => Promise.resolve(/TFTP root is/.test(readFileSync(tftp.logFile, { encoding: "utf8", flag: "a+" }))), { timeoutMs: 15_000, process: tftp });
      await startRouterAdvertiser(lab, net.srv, SERVER_IFACE);
      const http = await startHttpRecorder(lab, net.srv, SERVER_IP, 8080);
      const anvil = await startAnvilDhcp(lab, net.srv, {
        dhcp: {
          mode: "reservation",
          serverAddress: SERVER_IP,
          httpBaseUrl: `http://${SERVER_IP}:8080`,
          subnets: [{ cidr: "10.77.0.0/24", pool: { start: "10.77.0.100", end: "10.77.0.150" }, router: SERVER_IP }],
        },
        hosts: [{ mac, name: "default/uefi", boot: { kind: "local-disk" } }],
      });
      const tap = await net.addTap("tap1");
      // No NIC ROM: OVMF's own PXE client (virtio-net only) asks first, as on real UEFI hardware.
      const vm = startVm(lab, net.lan, { name: "pxe-uefi", firmware: "uefi", nic: "virtio-net-pci", nicRom: "none", tap, mac });
      const first = await http
        .next((r) => r.path === "/boot.ipxe", VM_TIMEOUT_MS, () => (vm.process.child.exitCode !== null ? "qemu exited" : undefined))
        .catch((err: unknown) => {
          throw new Error(`${String(err)}\nanvil:\n${anvil.process.tail(20)}\ntftp:\n${tftp.tail(20)}\nserial:\n${vm.serial().slice(-1500)}`);
        });
      expect(readFileSync(tftp.logFile, "utf8")).toMatch(/sent .*ipxe\.efi to 10\.77\.0\.1\d\d/);
      const m = await anvil.metrics();
      // Two DHCP clients in turn: the firmware's PXE (arch 7, boot file ipxe.efi), then iPXE (script URL).
      expect(m.replies.ACK).toBeGreaterThanOrEqual(2);
      console.info(`OVMF PXE → TFTP ipxe.efi → iPXE → Anvil DHCP → HTTP: first script request ${first.at - vm.startedAt} ms after qemu start`);
      await vm.stop();
    },
    VM_TIMEOUT_MS + 60_000,
  );
});
