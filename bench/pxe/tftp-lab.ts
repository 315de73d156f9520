/**
 * The namespaces the TFTP benches share: a server namespace holding every
 * server's address on one veth, a client namespace at 10.78.0.100, and an
 * empty TFTP root in the lab directory.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { NetnsLab } from "../../e2e/framework/netns.js";

/** `ips[0]` is the veth's own address; the rest are added beside it. */
export async function tftpBenchLab(lab: NetnsLab, ips: readonly string[]): Promise<{ srv: string; cli: string; root: string }> {
  const srv = await lab.namespace("srv");
  const cli = await lab.namespace("cli");
  await lab.veth({ ns: srv, ifname: "srv0", cidr: `${ips[0] ?? "10.78.0.1"}/24` }, { ns: cli, ifname: "cli0", cidr: "10.78.0.100/24" });
  for (const ip of ips.slice(1)) await lab.ip(srv, ["addr", "add", `${ip}/24`, "dev", "srv0"]);
  const root = path.join(lab.dir, "root");
  mkdirSync(root);
  return { srv, cli, root };
}
