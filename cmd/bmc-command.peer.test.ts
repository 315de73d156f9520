/**
 * `anvil bmc` run as a process (through tsx) against sushy-tools with
 * htpasswd auth and TLS: results read back from the emulator, exit codes per
 * failure kind, and the password never in stdout or stderr.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../e2e/framework/peers.js";
import { freeTcpPort } from "../e2e/framework/ports.js";
import { startSushyTools, type SushyTools } from "../e2e/framework/sushy-tools.js";
import { ExitCode } from "./bmc-command.js";

const PASSWORD = "cli-Anvil-pw-0b7e";
const WRONG = "cli-wrong-pw-44aa";

let sushy: SushyTools;
let dir: string;
let files: { password: string; wrong: string; ca: string };

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function anvil(args: readonly string[]): Promise<Run> {
  return new Promise<Run>((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", path.join(REPO_ROOT, "cmd/anvil.ts"), ...args],
      { cwd: REPO_ROOT, timeout: 90_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  }).then((r) => {
    for (const secret of [PASSWORD, WRONG]) expect(`${r.stdout}${r.stderr}`).not.toContain(secret);
    return r;
  });
}

function bmcArgs(action: string, extra: readonly string[] = [], opts: { password?: string; trust?: "ca" | "insecure" | "none" } = {}): string[] {
  const trust = opts.trust ?? "ca";
  return [
    "bmc",
    action,
    "--address",
    `redfish://127.0.0.1:${sushy.port}${sushy.systems[0]!.path}`,
    "--username",
    "admin",
    "--password-file",
    opts.password ?? files.password,
    ...(trust === "ca" ? ["--ca-bundle", files.ca] : trust === "insecure" ? ["--insecure"] : []),
    ...extra,
  ];
}

async function system(): Promise<{ PowerState?: string; Boot?: Record<string, unknown> }> {
  return (await sushy.get(sushy.systems[0]!.path)) as { PowerState?: string; Boot?: Record<string, unknown> };
}

beforeAll(async () => {
  sushy = await startSushyTools({ systems: 1, auth: { username: "admin", password: PASSWORD }, tls: true });
  dir = await mkdtemp(path.join(os.tmpdir(), "anvil-cli-"));
  files = { password: path.join(dir, "pw"), wrong: path.join(dir, "wrong"), ca: path.join(dir, "ca.pem") };
  await writeFile(files.password, `${PASSWORD}\n`, { mode: 0o600 });
  await writeFile(files.wrong, `${WRONG}\n`, { mode: 0o600 });
  await writeFile(files.ca, sushy.caBundle ?? "");
});

afterAll(async () => {
  try {
    await sushy?.stop();
  } finally {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }
});

describe("anvil bmc against sushy-tools", () => {
  it("prints the power state as JSON", async () => {
    const r = await anvil(bmcArgs("power-status", ["--json"]));
    expect(r.code).toBe(ExitCode.Ok);
    expect(JSON.parse(r.stdout)).toMatchObject({ power: "off" });
    expect((await system()).PowerState).toBe("Off");
  });

  it("powers the host on, trusting the BMC through --insecure", async () => {
    const r = await anvil(bmcArgs("power-on", [], { trust: "insecure" }));
    expect(r.code).toBe(ExitCode.Ok);
    expect(r.stdout.trim()).toBe("on");
    expect((await system()).PowerState).toBe("On");
  });

  it("sets a persistent legacy PXE boot override and the emulator holds it", async () => {
    const r = await anvil(bmcArgs("boot-device", ["--device", "pxe", "--persistent", "--mode", "legacy", "--json"]));
    expect(r.code).toBe(ExitCode.Ok);
    expect(JSON.parse(r.stdout)).toMatchObject({ boot: { device: "pxe", once: false, mode: "legacy" } });
    expect((await system()).Boot).toMatchObject({ BootSourceOverrideTarget: "Pxe", BootSourceOverrideMode: "Legacy" });
  });

  it("prints the inventory with the System's UUID and MAC", async () => {
    const r = await anvil(bmcArgs("inventory", ["--json"]));
    expect(r.code).toBe(ExitCode.Ok);
    const inv = (JSON.parse(r.stdout) as { inventory: { uuid: string; nics: { mac: string }[] } }).inventory;
    expect(inv.uuid).toBe(sushy.systems[0]!.uuid);
    expect(inv.nics[0]?.mac).toBe(sushy.systems[0]!.mac);
  });

  it.each<[string, () => string[], number]>([
    ["a wrong password", () => bmcArgs("power-status", [], { password: files.wrong }), ExitCode.AuthFailed],
    ["an untrusted certificate", () => bmcArgs("power-status", [], { trust: "none" }), ExitCode.TlsUntrusted],
    ["a boot device the BMC does not offer", () => bmcArgs("boot-device", ["--device", "bios"]), ExitCode.NotSupported],
    ["an unknown scheme", () => ["bmc", "power-status", "--address", "foo://127.0.0.1", "--username", "a", "--password-file", files.password], ExitCode.InvalidAddress],
    ["a missing password file", () => bmcArgs("power-status", [], { password: path.join(dir, "absent") }), ExitCode.Usage],
    ["an unknown action", () => bmcArgs("explode"), ExitCode.Usage],
  ])("exits with its own code for %s", async (_what, args, code) => {
    const r = await anvil(args());
    expect(r.code).toBe(code);
  });

  it("exits with the Timeout code when the BMC does not finish a power action within --timeout", async () => {
    expect((await system()).PowerState).toBe("On");
    const r = await anvil(bmcArgs("power-off", ["--force", "--timeout", "400", "--json"]));
    expect(r.code).toBe(ExitCode.Timeout);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: "BMC_TIMEOUT" } });
  });

  it("exits with the Unreachable code when nothing listens", async () => {
    const port = await freeTcpPort();
    const r = await anvil(["bmc", "power-status", "--address", `redfish+http://127.0.0.1:${port}/redfish/v1/Systems/1`, "--username", "a", "--password-file", files.password, "--json"]);
    expect(r.code).toBe(ExitCode.Unreachable);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: "BMC_UNREACHABLE" } });
  });
});
