/**
 * virtualbmc (PyPI, pinned in scripts/peers/versions.env) as a real IPMI v2.0
 * BMC on 127.0.0.1:<free port> in front of one libvirt domain: chassis power
 * on/off/soft/reset become `virDomainCreate`/`Destroy`/`Shutdown`/`Reset`,
 * boot device writes rewrite the domain's `<os><boot>` (persistently: it keeps
 * no "once"). Speaks RMCP+ cipher suite 3 only (pyghmi's server side).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startIn } from "./libvirt-sushy.js";
import type { NetnsLab } from "./netns.js";
import { pythonVenv, REPO_ROOT } from "./peers.js";
import { freeUdpPort } from "./ports.js";
import { waitFor, type Supervised } from "./process.js";
import { answers } from "./pyghmi-bmc.js";

export interface VirtualBmcOptions {
  /** The libvirt URI of the daemon holding the domain (`Libvirt.uri`). */
  readonly libvirtUri: string;
  readonly domain: string;
  readonly username: string;
  readonly password: string;
  /** Run inside this lab namespace (on its own 127.0.0.1) rather than the host's. */
  readonly netns?: { readonly lab: NetnsLab; readonly ns: string };
}

export interface VirtualBmc {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  /** The BareMetalHost `bmc.address`: `ipmi://127.0.0.1:<port>`. */
  readonly address: string;
  readonly process: Supervised;
  stop(): Promise<void>;
}

export async function startVirtualBmc(o: VirtualBmcOptions): Promise<VirtualBmc> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "anvil-vbmc-"));
  const port = await freeUdpPort();
  const config = path.join(dir, "vbmc.json");
  await writeFile(config, JSON.stringify({ username: o.username, password: o.password, port, domain: o.domain, libvirt_uri: o.libvirtUri }), { mode: 0o600 });
  const proc = startIn(o.netns, {
    name: `vbmc-${o.domain}`,
    command: path.join(pythonVenv(), "bin/python"),
    args: ["-u", path.join(REPO_ROOT, "e2e/framework/vbmc_bmc.py"), config],
    logFile: path.join(dir, "vbmc.log"),
  });
  const netns = o.netns;
  // Inside a namespace the probe is ipmitool there (a whole session: the credentials work too).
  const probe =
    netns === undefined
      ? () => answers("127.0.0.1", port)
      : () =>
          netns.lab
            .exec(netns.ns, "ipmitool", ["-I", "lanplus", "-C", "3", "-H", "127.0.0.1", "-p", String(port), "-U", o.username, "-E", "chassis", "power", "status"], {
              env: { ...process.env, IPMI_PASSWORD: o.password },
              allowFailure: true,
              timeoutMs: 5000,
            })
            .then((r) => r.code === 0);
  try {
    await waitFor("virtualbmc to answer", probe, { timeoutMs: 20_000, process: proc });
  } catch (err) {
    await proc.stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    host: "127.0.0.1",
    port,
    username: o.username,
    password: o.password,
    address: `ipmi://127.0.0.1:${port}`,
    process: proc,
    async stop() {
      try {
        await proc.stop();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
