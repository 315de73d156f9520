/**
 * The anchor of the VM boot-time benchmark: the classic stack Anvil replaces,
 * dnsmasq (DHCP + TFTP) and busybox httpd (HTTP), configured to boot the same
 * test payload the same way (iPXE script → kernel + initrd → report).
 */
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SERVER_IFACE, SERVER_IP, type BootLan } from "../../e2e/framework/boot-lan.js";
import { startDnsmasq, type Dnsmasq } from "../../e2e/framework/dnsmasq.js";
import type { Supervised } from "../../e2e/framework/process.js";
import type { TestBootPayload } from "../../e2e/framework/test-initramfs.js";

export interface AnchorHost {
  readonly mac: string;
  readonly ip: string;
}

export interface AnchorBoot {
  readonly dnsmasq: Dnsmasq;
  readonly httpd: Supervised;
  /** busybox httpd logs `peer: url:/path` per request to this file. */
  readonly httpLog: string;
}

export async function startAnchorBoot(
  net: BootLan,
  payload: TestBootPayload,
  hosts: readonly AnchorHost[],
  kernelArgs: string,
  httpPort: number,
): Promise<AnchorBoot> {
  const { lab, srv } = net;
  const www = path.join(lab.dir, "anchor-www");
  const tftp = path.join(lab.dir, "anchor-tftp");
  mkdirSync(www, { recursive: true });
  mkdirSync(tftp, { recursive: true });
  copyFileSync(payload.kernel, path.join(www, "vmlinuz"));
  copyFileSync(payload.initrd, path.join(www, "initramfs.gz"));
  copyFileSync("/usr/lib/ipxe/ipxe.efi", path.join(tftp, "ipxe.efi"));
  copyFileSync("/usr/lib/ipxe/undionly.kpxe", path.join(tftp, "undionly.kpxe"));
  const base = `http://${SERVER_IP}:${httpPort}`;
  writeFileSync(
    path.join(www, "boot.ipxe"),
    [
      "#!ipxe",
      "imgfree",
      `kernel ${base}/vmlinuz initrd=initrd.img ${kernelArgs}`,
      `initrd --name initrd.img ${base}/initramfs.gz`,
      "boot",
      "",
    ].join("\n"),
  );
  const httpd = lab.start(srv, {
    name: "anchor-httpd",
    command: "/bin/busybox",
    args: ["httpd", "-f", "-vv", "-p", `${SERVER_IP}:${httpPort}`, "-h", www],
  });
  const dnsmasq = await startDnsmasq(lab, srv, {
    name: "anchor-dnsmasq",
    iface: SERVER_IFACE,
    rangeStart: "10.77.0.200",
    rangeEnd: "10.77.0.250",
    tftpRoot: tftp,
    extra: [
      ...hosts.map((h) => `--dhcp-host=${h.mac},${h.ip}`),
      "--dhcp-match=set:ipxe,175",
      "--dhcp-match=set:efi64,option:client-arch,7",
      `--dhcp-boot=tag:ipxe,${base}/boot.ipxe`,
      "--dhcp-boot=tag:!ipxe,tag:efi64,ipxe.efi",
      "--dhcp-boot=tag:!ipxe,tag:!efi64,undionly.kpxe",
      "--dhcp-option=encap:175,176,1b",
    ],
  });
  return { dnsmasq, httpd, httpLog: httpd.logFile };
}
