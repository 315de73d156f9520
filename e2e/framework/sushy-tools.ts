/**
 * sushy-tools (the OpenStack Redfish emulator) with its fake driver: N
 * systems with distinct UUIDs and MACs, optional htpasswd (bcrypt) auth and
 * TLS, on a free port of 127.0.0.1, state in a fresh directory per start.
 * `get()` reads the emulator's state back with plain node:http(s), apart from
 * the driver under test, so a test checks what the BMC holds, not what the
 * driver believes.
 */
import { execFile } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { makeCa, makeLeaf } from "./certs.js";
import { pythonVenv } from "./peers.js";
import { freeTcpPort } from "./ports.js";
import { startProcess, stopAndRemove, waitFor, type Supervised } from "./process.js";

export interface SushySystemSpec {
  readonly name?: string;
  readonly uuid?: string;
  readonly mac?: string;
  /** @default "Off" */
  readonly powerState?: "On" | "Off";
  /** An address the fake NIC reports. */
  readonly ip?: string;
}

export interface SushyToolsOptions {
  /** How many fake systems, or each one's spec. */
  readonly systems: number | readonly SushySystemSpec[];
  /** Require HTTP Basic with these credentials (htpasswd, bcrypt). */
  readonly auth?: { readonly username: string; readonly password: string };
  /** Serve HTTPS with a certificate from a fresh test CA. @default false */
  readonly tls?: boolean;
  /**
   * The fake driver's external notifier (what Metal3's fake-ipa listens to): every change to a
   * system (a power request with its apply time, a pending power change applied, a boot device)
   * is PUT there as the system's JSON. Used by the sim agent instead of polling every system.
   */
  readonly notifyUrl?: string;
}

export interface SushySystem {
  readonly id: string;
  readonly name: string;
  readonly uuid: string;
  readonly mac: string;
  /** `/redfish/v1/Systems/<id>` */
  readonly path: string;
}

export interface SushyTools {
  /** `http[s]://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly systems: readonly SushySystem[];
  /** PEM of the CA that signed the serving certificate (TLS only). */
  readonly caBundle: string | undefined;
  readonly process: Supervised;
  /** GET `path` with the emulator's credentials and CA, apart from any driver; throws on non-2xx. */
  get(path: string): Promise<unknown>;
  stop(): Promise<void>;
}

const run = (cmd: string, args: readonly string[], input: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = execFile(cmd, [...args], { maxBuffer: 1 << 20 }, (err, stdout) => (err ? reject(new Error(`${cmd} failed: ${err.message}`)) : resolve(stdout)));
    child.stdin?.end(input);
  });

/** A locally administered unicast MAC (IEEE 802 U/L bit set, I/G clear) unique per system. */
function macFor(index: number, salt: Buffer): string {
  const bytes = [0x52, 0x54, salt[0] ?? 0, salt[1] ?? 0, (index >> 8) & 0xff, index & 0xff];
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

function specsOf(systems: SushyToolsOptions["systems"]): SushySystemSpec[] {
  return typeof systems === "number" ? Array.from({ length: systems }, () => ({})) : [...systems];
}

/** The password goes to bcrypt on stdin, never on a command line. Cost 4 keeps each request's check ~1 ms. */
export async function htpasswdLine(python: string, username: string, password: string): Promise<string> {
  const script = "import bcrypt,sys; print(bcrypt.hashpw(sys.stdin.buffer.read(), bcrypt.gensalt(rounds=4)).decode())";
  const hash = (await run(python, ["-c", script], password)).trim();
  return `${username}:${hash}\n`;
}

function pyString(s: string): string {
  return JSON.stringify(s);
}

export async function startSushyTools(opts: SushyToolsOptions): Promise<SushyTools> {
  const venv = pythonVenv();
  const dir = await mkdtemp(path.join(os.tmpdir(), "anvil-sushy-"));
  let proc: Supervised | undefined;
  try {
    const port = await freeTcpPort();
    const salt = randomBytes(2);
    const systems: SushySystem[] = specsOf(opts.systems).map((s, i) => {
      const uuid = s.uuid ?? randomUUID();
      return { id: uuid, uuid, name: s.name ?? `host-${i}`, mac: s.mac ?? macFor(i, salt), path: `/redfish/v1/Systems/${uuid}` };
    });
    const fake = specsOf(opts.systems).map((s, i) => {
      const sys = systems[i]!;
      return {
        uuid: sys.uuid,
        name: sys.name,
        power_state: s.powerState ?? "Off",
        external_notifier: opts.notifyUrl !== undefined,
        nics: [{ mac: sys.mac, ip: s.ip ?? `192.0.2.${(i % 250) + 1}` }],
      };
    });
    const lines = [
      "import json",
      `SUSHY_EMULATOR_LISTEN_IP = '127.0.0.1'`,
      `SUSHY_EMULATOR_LISTEN_PORT = ${port}`,
      "SUSHY_EMULATOR_FAKE_DRIVER = True",
      `SUSHY_EMULATOR_STATE_DIR = ${pyString(path.join(dir, "state"))}`,
      `SUSHY_EMULATOR_FAKE_SYSTEMS = json.loads(${pyString(JSON.stringify(fake))})`,
      ...(opts.notifyUrl !== undefined ? [`EXTERNAL_NOTIFICATION_URL = ${pyString(opts.notifyUrl)}`] : []),
    ];
    if (opts.auth !== undefined) {
      const authFile = path.join(dir, "htpasswd");
      await writeFile(authFile, await htpasswdLine(path.join(venv, "bin/python"), opts.auth.username, opts.auth.password), { mode: 0o600 });
      lines.push(`SUSHY_EMULATOR_AUTH_FILE = ${pyString(authFile)}`);
    }
    let caBundle: string | undefined;
    if (opts.tls === true) {
      const ca = await makeCa(dir, "ca", "anvil-test-bmc-ca");
      const leaf = await makeLeaf(dir, "bmc", ca, { commonName: "127.0.0.1", ipAddresses: ["127.0.0.1"], dnsNames: ["localhost"], usage: "server" });
      lines.push(`SUSHY_EMULATOR_SSL_CERT = ${pyString(leaf.certFile)}`, `SUSHY_EMULATOR_SSL_KEY = ${pyString(leaf.keyFile)}`);
      caBundle = ca.certPem;
    }
    const config = path.join(dir, "emulator.conf");
    await writeFile(config, `${lines.join("\n")}\n`);
    proc = startProcess({
      name: "sushy-emulator",
      command: path.join(venv, "bin/sushy-emulator"),
      args: ["--config", config],
      logFile: path.join(dir, "sushy.log"),
      env: { ...process.env, PYTHONUNBUFFERED: "1" },
    });
    const url = `${opts.tls === true ? "https" : "http"}://127.0.0.1:${port}`;
    const get = (p: string): Promise<unknown> => plainGet(url, p, opts.auth, caBundle);
    await waitFor("sushy-tools to answer /redfish/v1/", () => get("/redfish/v1/").then(() => true), { timeoutMs: 30_000, intervalMs: 200, process: proc });
    const started = proc;
    return {
      url,
      port,
      systems,
      caBundle,
      process: started,
      get,
      stop: () => stopAndRemove(started, dir),
    };
  } catch (err) {
    await stopAndRemove(proc, dir);
    throw err;
  }
}

/** Transient 5xx answers: sushy-tools' fake driver answered one GET with 500 in a demo run (the next GET worked). */
class ServerError extends Error {}

/** A GET of the emulator's state; GET is idempotent, so a 5xx is retried twice before it fails. */
export async function plainGet(base: string, p: string, auth: SushyToolsOptions["auth"], ca: string | undefined): Promise<unknown> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await plainGetOnce(base, p, auth, ca);
    } catch (err) {
      if (!(err instanceof ServerError) || attempt >= 3) throw err;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

function plainGetOnce(base: string, p: string, auth: SushyToolsOptions["auth"], ca: string | undefined): Promise<unknown> {
  const url = new URL(p, base);
  const headers: Record<string, string> = { Accept: "application/json" };
  if (auth !== undefined) headers.Authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const status = res.statusCode ?? 0;
        if (status >= 500) return reject(new ServerError(`GET ${p}: HTTP ${status}: ${text.replace(/\s+/g, " ").slice(0, 300)}`));
        if (status >= 300) return reject(new Error(`GET ${p}: HTTP ${status}`));
        try {
          resolve(text === "" ? undefined : JSON.parse(text));
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
      res.on("error", reject);
    };
    const req = url.protocol === "https:" ? https.get(url, { headers, ca }, onResponse) : http.get(url, { headers }, onResponse);
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${p}: timed out`)));
    req.on("error", reject);
  });
}
