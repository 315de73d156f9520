/**
 * The provisioning LAN of the network-boot tests, built from a NetnsLab:
 * a `srv` namespace holding the boot services at 10.77.0.1/24, and a `lan`
 * namespace holding bridge `br0`, joined to `srv` by a veth, with one tap per
 * VM on the bridge. The VMs (qemu) run in `lan`; everything they reach lives
 * in `srv`. Nothing touches the host's own interfaces.
 */
import type { NetnsLab } from "./netns.js";

export const SERVER_IP = "10.77.0.1";
export const PREFIX = 24;
export const NETMASK = "255.255.255.0";
/** The server end of the veth, inside `srv`. */
export const SERVER_IFACE = "prov0";

export interface BootLan {
  readonly lab: NetnsLab;
  readonly srv: string;
  readonly lan: string;
  /** Creates tap `name` on the bridge, ready for qemu's `-netdev tap,ifname=name`. */
  addTap(name: string): Promise<string>;
  /**
   * Another server namespace on the LAN (a site's own DHCP server, say),
   * its interface `eth0` at `cidr`, joined to the bridge by a veth.
   */
  addServer(short: string, cidr: string): Promise<string>;
}

export async function bootLan(lab: NetnsLab): Promise<BootLan> {
  const srv = await lab.namespace("srv");
  const lan = await lab.namespace("lan");
  await lab.bridge(lan, "br0", [{ ns: srv, ifname: SERVER_IFACE, cidr: `${SERVER_IP}/${PREFIX}` }]);
  let ports = 0;
  return {
    lab,
    srv,
    lan,
    async addTap(name) {
      await lab.tap(lan, name, "br0");
      return name;
    },
    async addServer(short, cidr) {
      const ns = await lab.namespace(short);
      const port = `br0s${ports++}`;
      await lab.veth({ ns: lan, ifname: port }, { ns, ifname: "eth0", cidr });
      await lab.ip(lan, ["link", "set", port, "master", "br0"]);
      return ns;
    },
  };
}
