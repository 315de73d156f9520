/**
 * Turns `anvil manager`'s flags into the boot service's config. The DHCP
 * subnet is not a flag: it is read from the provisioning interface itself
 * (its address must be `--provisioning-address`), so the Deployment's few
 * variables cannot disagree with the node's network.
 */
import os from "node:os";
import { TFTP_DEFAULTS, type PxeConfig } from "../pxe/config.js";
import { resolveConfig as resolveDhcpConfig, type SubnetConfig } from "../pxe/dhcp/config.js";
import type { ManagerSettings } from "./manager-flags.js";

export class ManagerConfigError extends Error {
  override readonly name = "ManagerConfigError";
  readonly code = "MANAGER_CONFIG_INVALID";
  /** The flags do not fit this node: a usage error like a bad flag. */
  readonly exitCode = 2;
}

export type Interfaces = NodeJS.Dict<os.NetworkInterfaceInfo[]>;

/** The provisioning subnet (`a.b.c.d/nn`) of the interface that owns `address`. */
export function provisioningSubnet(interfaces: Interfaces, name: string, address: string): string {
  const addrs = interfaces[name];
  if (addrs === undefined) throw new ManagerConfigError(`--provisioning-interface ${name}: no such interface (have ${Object.keys(interfaces).join(", ")})`);
  const mine = addrs.find((a) => a.family === "IPv4" && a.address === address);
  if (mine?.cidr == null) throw new ManagerConfigError(`--provisioning-address ${address} is not an address of ${name} (it has ${addrs.filter((a) => a.family === "IPv4").map((a) => a.address).join(", ") || "no IPv4 address"})`);
  return networkOf(mine.cidr);
}

/** `10.1.2.3/24` → `10.1.2.0/24`. */
function networkOf(cidr: string): string {
  const [ip, prefixRaw] = cidr.split("/");
  const prefix = Number(prefixRaw);
  const n = (ip ?? "").split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const net = (n & mask) >>> 0;
  return `${[24, 16, 8, 0].map((s) => (net >>> s) & 0xff).join(".")}/${prefix}`;
}

export function bootConfigFor(s: ManagerSettings, interfaces: Interfaces = os.networkInterfaces()): PxeConfig {
  const publicUrl = `http://${s.provisioningAddress}:${s.httpPort}`;
  let subnets: SubnetConfig[] = [];
  if (s.dhcpMode !== "off") {
    const cidr = provisioningSubnet(interfaces, s.provisioningInterface, s.provisioningAddress);
    subnets = [{ cidr, ...(s.dhcpMode === "reservation" ? { pool: s.dhcpRange } : {}) }];
  }
  let dhcp;
  try {
    // No lease file: the Deployment's root file system is read-only; reservations come from the hosts.
    dhcp = resolveDhcpConfig({ mode: s.dhcpMode, serverAddress: s.provisioningAddress, httpBaseUrl: publicUrl, subnets });
  } catch (err) {
    throw new ManagerConfigError(`DHCP: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return {
    serverAddress: s.provisioningAddress,
    // The manager has no hosts file: the host controller is the boot backend.
    hostsFile: "",
    dhcp,
    tftp:
      s.tftpPort === undefined
        ? undefined
        : {
            address: s.provisioningAddress,
            port: s.tftpPort,
            root: undefined,
            ...TFTP_DEFAULTS,
          },
    http: { address: s.httpAddress, port: s.httpPort, publicUrl, assetsDir: s.assetsDir },
    // The controller hands absolute ramdisk URLs; nothing to resolve against.
    ramdisk: { baseUrl: undefined, kernelArgs: undefined },
  };
}
