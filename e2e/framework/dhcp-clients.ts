/**
 * Real DHCP clients run once inside a lab namespace: busybox `udhcpc` and
 * ISC `dhclient`, each with its own hook script that records what it was
 * given (and leaves the namespace's resolv.conf and routes alone).
 */
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { NetnsLab } from "./netns.js";
import { waitFor } from "./process.js";

export interface ClientLease {
  readonly ip: string;
  readonly mask: string;
  readonly router: string;
  readonly leaseSeconds: number;
  readonly serverId: string;
  readonly bootFile: string;
  readonly siaddr: string;
  /** Option 175 as hex when the client asked for it (udhcpc `-O 175`). */
  readonly ipxeOption?: string;
}

function parseKv(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

export interface UdhcpcOptions {
  readonly ifname: string;
  /** Extra udhcpc arguments, e.g. `["-V", "PXEClient:Arch:00000:UNDI:002001", "-x", "0x5d:0000"]`. */
  readonly extra?: readonly string[];
  /** DISCOVERs sent before giving up (`-t`), one a second. @default 4 */
  readonly tries?: number;
}

/** Runs `udhcpc -q -n` once; `undefined` when no lease was obtained. */
export async function udhcpcOnce(lab: NetnsLab, ns: string, o: UdhcpcOptions): Promise<ClientLease | undefined> {
  const out = path.join(lab.dir, `udhcpc-${ns}-${o.ifname}.env`);
  const script = `${out}.sh`;
  rmSync(out, { force: true });
  // udhcpc passes the lease in the environment of its script (busybox networking/udhcp/dhcpc.c).
  writeFileSync(
    script,
    `#!/bin/sh\n[ "$1" = bound ] || exit 0\nprintf 'ip=%s\\nmask=%s\\nrouter=%s\\nlease=%s\\nserverid=%s\\nboot_file=%s\\nsiaddr=%s\\nopt175=%s\\n' "$ip" "$subnet" "$router" "$lease" "$serverid" "$boot_file" "$siaddr" "$opt175" > ${out}\n`,
  );
  chmodSync(script, 0o755);
  const tries = o.tries ?? 4;
  const r = await lab.exec(ns, "udhcpc", ["-f", "-q", "-n", "-i", o.ifname, "-s", script, "-t", String(tries), "-T", "1", "-A", "1", ...(o.extra ?? [])], {
    allowFailure: true,
    timeoutMs: (tries + 5) * 1000,
  });
  if (r.code !== 0) return undefined;
  const kv = parseKv(readFileSync(out, "utf8"));
  return {
    ip: kv.get("ip") ?? "",
    mask: kv.get("mask") ?? "",
    router: kv.get("router") ?? "",
    leaseSeconds: Number(kv.get("lease") ?? "0"),
    serverId: kv.get("serverid") ?? "",
    bootFile: kv.get("boot_file") ?? "",
    siaddr: kv.get("siaddr") ?? "",
    ipxeOption: kv.get("opt175") ?? "",
  };
}

/**
 * Runs `dhclient -1 -d` until its script reports BOUND, then stops it.
 * `undefined` when no lease came within `timeoutMs`.
 */
export async function dhclientOnce(lab: NetnsLab, ns: string, ifname: string, timeoutMs = 20_000): Promise<ClientLease | undefined> {
  const base = path.join(lab.dir, `dhclient-${ns}-${ifname}`);
  const out = `${base}.env`;
  rmSync(out, { force: true });
  writeFileSync(`${base}.conf`, "request subnet-mask, routers, domain-name-servers, dhcp-lease-time, dhcp-server-identifier;\n");
  // dhclient-script(8) variables: the script only records them, so the namespace stays as the test made it.
  writeFileSync(
    `${base}.sh`,
    `#!/bin/sh\ncase "$reason" in BOUND|REBOOT) printf 'ip=%s\\nmask=%s\\nrouter=%s\\nlease=%s\\nserverid=%s\\nboot_file=%s\\nsiaddr=%s\\n' "$new_ip_address" "$new_subnet_mask" "$new_routers" "$new_dhcp_lease_time" "$new_dhcp_server_identifier" "$new_filename" "$new_next_server" > ${out}.tmp && mv ${out}.tmp ${out};; esac\nexit 0\n`,
  );
  chmodSync(`${base}.sh`, 0o755);
  rmSync(`${base}.leases`, { force: true });
  const proc = lab.start(ns, {
    name: `dhclient-${ifname}-${Date.now()}`,
    command: "dhclient",
    args: ["-1", "-d", "-v", "-cf", `${base}.conf`, "-sf", `${base}.sh`, "-lf", `${base}.leases`, "-pf", `${base}.pid`, ifname],
  });
  try {
    await waitFor("dhclient lease", () => Promise.resolve(readFileSync(out, { encoding: "utf8", flag: "a+" }).includes("ip=")), { timeoutMs, process: proc });
  } catch {
    return undefined;
  } finally {
    await proc.stop(1000);
  }
  const kv = parseKv(readFileSync(out, "utf8"));
  return {
    ip: kv.get("ip") ?? "",
    mask: kv.get("mask") ?? "",
    router: kv.get("router") ?? "",
    leaseSeconds: Number(kv.get("lease") ?? "0"),
    serverId: kv.get("serverid") ?? "",
    bootFile: kv.get("boot_file") ?? "",
    siaddr: kv.get("siaddr") ?? "",
  };
}
