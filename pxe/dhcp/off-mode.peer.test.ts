/**
 * Mode `off`: the site keeps its own DHCP server. The dnsmasq and Kea
 * settings of docs/dhcp.md, run for real, must chainload the way Anvil
 * would: a PXE ROM gets an iPXE binary from Anvil's TFTP address, iPXE gets
 * the script URL and option 175.176 (no-pxedhcp). Clients are busybox
 * udhcpc sending the PXE options (60, 93, 77).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { udhcpcOnce } from "../../e2e/framework/dhcp-clients.js";
import { startDnsmasq } from "../../e2e/framework/dnsmasq.js";
import { NetnsLab } from "../../e2e/framework/netns.js";
import { waitFor } from "../../e2e/framework/process.js";

const SITE_DHCP = "10.213.50.2";
const ANVIL = "10.213.50.1";
const SCRIPT = `http://${ANVIL}:8080/boot.ipxe`;

/** docs/dhcp.md, "dnsmasq", with ANVIL_IP filled in. */
const DNSMASQ_SETTINGS = [
  "--dhcp-match=set:ipxe,175",
  "--dhcp-userclass=set:ipxe,iPXE",
  "--dhcp-match=set:bios,option:client-arch,0",
  "--dhcp-match=set:efi64,option:client-arch,7",
  "--dhcp-match=set:efi64,option:client-arch,9",
  "--dhcp-match=set:efiarm64,option:client-arch,11",
  `--dhcp-boot=tag:!ipxe,tag:bios,undionly.kpxe,,${ANVIL}`,
  `--dhcp-boot=tag:!ipxe,tag:efi64,ipxe.efi,,${ANVIL}`,
  `--dhcp-boot=tag:!ipxe,tag:efiarm64,ipxe-arm64.efi,,${ANVIL}`,
  `--dhcp-boot=tag:ipxe,${SCRIPT}`,
  "--dhcp-option-force=tag:ipxe,175,b0:01:01",
];

/** docs/dhcp.md, "Kea", with ANVIL_IP filled in, inside a minimal server config. */
function keaConfig(dir: string): object {
  return {
    Dhcp4: {
      "interfaces-config": { interfaces: ["site0"], "dhcp-socket-type": "raw" },
      "lease-database": { type: "memfile", persist: false },
      "valid-lifetime": 600,
      subnet4: [{ id: 1, subnet: "10.213.50.0/24", pools: [{ pool: "10.213.50.100 - 10.213.50.150" }] }],
      "option-def": [
        { space: "dhcp4", name: "ipxe-encap-opts", code: 175, type: "empty", encapsulate: "ipxe" },
        { space: "ipxe", name: "no-pxedhcp", code: 176, type: "uint8" },
      ],
      "client-classes": [
        {
          name: "ipxe",
          test: "substring(option[77].hex,0,4) == 'iPXE'",
          "boot-file-name": SCRIPT,
          "option-data": [
            { space: "dhcp4", name: "ipxe-encap-opts", "always-send": true },
            { space: "ipxe", name: "no-pxedhcp", data: "1" },
          ],
        },
        { name: "bios", test: "not member('ipxe') and option[93].hex == 0x0000", "next-server": ANVIL, "boot-file-name": "undionly.kpxe" },
        { name: "efi64", test: "not member('ipxe') and (option[93].hex == 0x0007 or option[93].hex == 0x0009)", "next-server": ANVIL, "boot-file-name": "ipxe.efi" },
        { name: "efiarm64", test: "not member('ipxe') and option[93].hex == 0x000b", "next-server": ANVIL, "boot-file-name": "ipxe-arm64.efi" },
      ],
      loggers: [{ name: "kea-dhcp4", output_options: [{ output: path.join(dir, "kea.log") }], severity: "INFO" }],
    },
  };
}

// For iPXE with an HTTP URL next-server does not matter (dnsmasq fills in its own address), so it is not checked.
const CLIENTS: [string, string[], { bootFile: string; siaddr?: string; ipxeOption: string }][] = [
  ["a PXE BIOS ROM", ["-V", "PXEClient:Arch:00000:UNDI:002001", "-x", "0x5d:0000"], { bootFile: "undionly.kpxe", siaddr: ANVIL, ipxeOption: "" }],
  ["a PXE x64 UEFI ROM", ["-V", "PXEClient:Arch:00007:UNDI:003016", "-x", "0x5d:0007"], { bootFile: "ipxe.efi", siaddr: ANVIL, ipxeOption: "" }],
  ["a PXE arm64 UEFI ROM", ["-V", "PXEClient:Arch:00011:UNDI:003016", "-x", "0x5d:000b"], { bootFile: "ipxe-arm64.efi", siaddr: ANVIL, ipxeOption: "" }],
  ["iPXE", ["-V", "PXEClient:Arch:00000:UNDI:002001", "-x", "0x5d:0000", "-x", "0x4d:69505845"], { bootFile: SCRIPT, ipxeOption: "b00101" }],
];

describe.each(["dnsmasq", "kea"])("mode off: %s with the documented settings", (server) => {
  const lab = new NetnsLab();
  let cli = "";

  beforeAll(async () => {
    const site = await lab.namespace("site");
    cli = await lab.namespace("cli");
    await lab.veth({ ns: site, ifname: "site0", cidr: `${SITE_DHCP}/24` }, { ns: cli, ifname: "eth0", mac: "02:00:5e:50:00:01" });
    if (server === "dnsmasq") {
      await startDnsmasq(lab, site, { iface: "site0", rangeStart: "10.213.50.100", rangeEnd: "10.213.50.150", extra: ["--no-ping", ...DNSMASQ_SETTINGS] });
    } else {
      const conf = path.join(lab.dir, "kea.json");
      writeFileSync(conf, JSON.stringify(keaConfig(lab.dir)));
      const kea = lab.start(site, { name: "kea", command: "/usr/sbin/kea-dhcp4", args: ["-c", conf], env: { ...process.env, KEA_PIDFILE_DIR: lab.dir, KEA_LOCKFILE_DIR: lab.dir } });
      const log = path.join(lab.dir, "kea.log");
      await waitFor("kea to start", () => Promise.resolve(existsSync(log) && readFileSync(log, "utf8").includes("DHCP4_STARTED")), { timeoutMs: 30_000, process: kea });
    }
  });

  afterAll(async () => {
    await lab.cleanup();
  });

  it.each(CLIENTS)("chainloads %s", async (_kind, extra, expected) => {
    const lease = await udhcpcOnce(lab, cli, { ifname: "eth0", extra: [...extra, "-O", "175"] });
    expect(lease).toBeDefined();
    expect(lease).toMatchObject({ serverId: SITE_DHCP, ...expected });
  });
});
