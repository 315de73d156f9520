/**
 * sushy-tools with its libvirt driver: a Redfish BMC in front of every domain
 * of one (private) libvirtd, on a free port of 127.0.0.1, with htpasswd
 * (bcrypt) auth. A System's id is its domain's UUID; Reset On/ForceOff
 * create/destroy the domain, a boot override rewrites the domain's boot order
 * (persistently: the driver ignores `Once`). Restart it when libvirtd
 * restarts (TESTPEERS.md).
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { NetnsLab } from "./netns.js";
import { pythonVenv } from "./peers.js";
import { freeTcpPort } from "./ports.js";
import { startProcess, stopAndRemove, waitFor, type Supervised } from "./process.js";
import { htpasswdLine, plainGet } from "./sushy-tools.js";

export interface LibvirtSushyOptions {
  /** `Libvirt.uri` of the daemon whose domains become Systems. */
  readonly libvirtUri: string;
  readonly username: string;
  readonly password: string;
  /** Domain UUIDs served as Systems (SUSHY_EMULATOR_ALLOWED_INSTANCES); others answer 404. @default every domain */
  readonly systems?: readonly string[];
  /**
   * Run inside this lab namespace (on its own 127.0.0.1) rather than the
   * host's: where a manager serving the boot LAN from that namespace reaches it.
   */
  readonly netns?: { readonly lab: NetnsLab; readonly ns: string };
}

/** Starts `o` in `netns` when given, else in the host's namespace. */
export function startIn(
  netns: { readonly lab: NetnsLab; readonly ns: string } | undefined,
  o: { name: string; command: string; args: readonly string[]; logFile: string; env?: NodeJS.ProcessEnv },
): Supervised {
  return netns === undefined ? startProcess(o) : netns.lab.start(netns.ns, o);
}

/** curl inside `ns`, credentials on its stdin config (never on a command line); resolves with the body, rejects on non-2xx. */
async function curlIn(netns: { readonly lab: NetnsLab; readonly ns: string }, url: string, auth?: { username: string; password: string }): Promise<string> {
  const config = auth === undefined ? "" : `user = ${JSON.stringify(`${auth.username}:${auth.password}`)}\n`;
  const r = await netns.lab.exec(netns.ns, "curl", ["-sSf", "--max-time", "10", "-K", "-", url], { input: config, allowFailure: true, timeoutMs: 15_000 });
  if (r.code !== 0) throw new Error(`GET ${new URL(url).pathname} in ${netns.ns}: curl exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

export interface LibvirtSushy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  /** The BareMetalHost `bmc.address` of the domain with this UUID. */
  addressOf(uuid: string): string;
  /** GET with the emulator's credentials, apart from any driver under test (curl in `netns`); throws on non-2xx. */
  get(path: string): Promise<unknown>;
  readonly process: Supervised;
  stop(): Promise<void>;
}

export async function startLibvirtSushy(o: LibvirtSushyOptions): Promise<LibvirtSushy> {
  const venv = pythonVenv();
  const dir = await mkdtemp(path.join(os.tmpdir(), "anvil-sushy-libvirt-"));
  let proc: Supervised | undefined;
  try {
    const port = await freeTcpPort();
    const authFile = path.join(dir, "htpasswd");
    await writeFile(authFile, await htpasswdLine(path.join(venv, "bin/python"), o.username, o.password), { mode: 0o600 });
    const config = path.join(dir, "emulator.conf");
    await writeFile(
      config,
      [
        "SUSHY_EMULATOR_LISTEN_IP = '127.0.0.1'",
        `SUSHY_EMULATOR_LISTEN_PORT = ${port}`,
        `SUSHY_EMULATOR_LIBVIRT_URI = ${JSON.stringify(o.libvirtUri)}`,
        `SUSHY_EMULATOR_STATE_DIR = ${JSON.stringify(path.join(dir, "state"))}`,
        `SUSHY_EMULATOR_AUTH_FILE = ${JSON.stringify(authFile)}`,
        ...(o.systems !== undefined ? [`SUSHY_EMULATOR_ALLOWED_INSTANCES = ${JSON.stringify(o.systems)}`] : []),
        "",
      ].join("\n"),
    );
    proc = startIn(o.netns, {
      name: "sushy-emulator-libvirt",
      command: path.join(venv, "bin/sushy-emulator"),
      args: ["--config", config],
      logFile: path.join(dir, "sushy.log"),
      env: { ...process.env, PYTHONUNBUFFERED: "1" },
    });
    const url = `http://127.0.0.1:${port}`;
    const auth = { username: o.username, password: o.password };
    const netns = o.netns;
    const get = (p: string): Promise<unknown> =>
      netns === undefined ? plainGet(url, p, auth, undefined) : curlIn(netns, new URL(p, url).href, auth).then((b): unknown => (b === "" ? undefined : JSON.parse(b)));
    // /Systems (not the open service root) proves both the auth file and the libvirt connection.
    await waitFor("sushy-tools (libvirt) to list /redfish/v1/Systems", () => get("/redfish/v1/Systems").then(() => true), {
      timeoutMs: 30_000,
      intervalMs: 200,
      process: proc,
    });
    const started = proc;
    return {
      url,
      port,
      username: o.username,
      password: o.password,
      addressOf: (uuid) => `redfish+http://127.0.0.1:${port}/redfish/v1/Systems/${uuid}`,
      get,
      process: started,
      stop: () => stopAndRemove(started, dir),
    };
  } catch (err) {
    await stopAndRemove(proc, dir);
    throw err;
  }
}
