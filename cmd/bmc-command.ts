/**
 * `anvil bmc <action> --address URL --username U --password-file F`: lets an
 * operator check a BMC before writing a BareMetalHost. The password comes
 * from a file (never argv, where `ps` shows it) and is never printed. Exit
 * codes tell failures apart for scripts; docs/cli.md lists them.
 */
import { readFile } from "node:fs/promises";
import process from "node:process";
import { parseArgs } from "node:util";
import { BmcErrorCode, connectBmc, isBmcError, type BmcClient, type BootDevice, type BootMode } from "../bmc/index.js";

/** Exit codes, stable for scripts (docs/cli.md). */
export const ExitCode = {
  Ok: 0,
  Failure: 1,
  Usage: 2,
  AuthFailed: 3,
  Unreachable: 4,
  NotSupported: 5,
  Timeout: 6,
  BmcError: 7,
  ProtocolError: 8,
  InvalidAddress: 9,
  VerifyFailed: 10,
  TlsUntrusted: 11,
} as const;

const EXIT_BY_CODE: Readonly<Record<BmcErrorCode, number>> = {
  [BmcErrorCode.AuthFailed]: ExitCode.AuthFailed,
  [BmcErrorCode.Unreachable]: ExitCode.Unreachable,
  [BmcErrorCode.NotSupported]: ExitCode.NotSupported,
  [BmcErrorCode.Timeout]: ExitCode.Timeout,
  [BmcErrorCode.BmcError]: ExitCode.BmcError,
  [BmcErrorCode.ProtocolError]: ExitCode.ProtocolError,
  [BmcErrorCode.InvalidAddress]: ExitCode.InvalidAddress,
  [BmcErrorCode.VerifyFailed]: ExitCode.VerifyFailed,
  [BmcErrorCode.TlsUntrusted]: ExitCode.TlsUntrusted,
};

const ACTIONS = ["power-status", "power-on", "power-off", "reboot", "boot-device", "inventory"] as const;
type Action = (typeof ACTIONS)[number];
const DEVICES: readonly BootDevice[] = ["pxe", "disk", "cdrom", "bios", "uefi-http"];

const USAGE = `usage: anvil bmc <action> --address URL --username USER --password-file FILE [options]

actions:
  power-status               print on, off or unknown
  power-on                   power on and wait until the BMC reports on
  power-off [--force]        graceful shutdown (forced after the grace period), or force off at once
  reboot [--force]           graceful (or forced) restart; powers on a host that is off
  boot-device                print the boot override; with --device, set it and verify by reading back
      --device pxe|disk|cdrom|bios|uefi-http   [--persistent] [--mode uefi|legacy]
  inventory                  out-of-band hardware inventory

options:
  --address URL              Metal3 BMC address: redfish[+http|+https]://, redfish-virtualmedia://,
                             idrac-redfish://, ilo5-redfish://, ipmi://host[:port], host:port, ...
  --username USER
  --password-file FILE       file holding the password (one line)
  --insecure                 do not verify the BMC's TLS certificate
  --ca-bundle FILE           PEM CA certificates to trust for the BMC's TLS certificate
  --timeout MS               deadline of the operation (default 30000, power actions 120000)
  --json                     print JSON on stdout (errors too)
`;

interface Output {
  readonly json: boolean;
}

function print(out: Output, text: string, json: unknown): void {
  process.stdout.write(out.json ? `${JSON.stringify(json)}\n` : `${text}\n`);
}

function fail(out: Output, code: number, kind: string, message: string, bmcMessage?: string): number {
  if (out.json) process.stdout.write(`${JSON.stringify({ error: { code: kind, message, ...(bmcMessage !== undefined ? { bmcMessage } : {}) } })}\n`);
  else process.stderr.write(`anvil bmc: ${message}\n`);
  return code;
}

async function act(action: Action, bmc: BmcClient, values: Record<string, string | boolean | undefined>, out: Output): Promise<number> {
  const force = values.force === true;
  switch (action) {
    case "power-status": {
      const power = await bmc.power.getPower();
      print(out, power, { address: bmc.displayAddress, power });
      return ExitCode.Ok;
    }
    case "power-on":
    case "power-off":
    case "reboot": {
      const pa = action === "power-on" ? "on" : action === "power-off" ? (force ? "force-off" : "off") : force ? "force-reboot" : "reboot";
      await bmc.power.setPower(pa);
      const power = await bmc.power.getPower();
      print(out, power, { address: bmc.displayAddress, action: pa, power });
      return ExitCode.Ok;
    }
    case "boot-device": {
      const device = values.device;
      if (typeof device === "string") {
        if (!DEVICES.includes(device as BootDevice)) return fail(out, ExitCode.Usage, "USAGE", `--device must be one of ${DEVICES.join(", ")}`);
        const modeArg = values.mode;
        const mode: BootMode | undefined = modeArg === undefined ? undefined : modeArg === "uefi" ? "UEFI" : modeArg === "legacy" ? "legacy" : undefined;
        if (modeArg !== undefined && mode === undefined) return fail(out, ExitCode.Usage, "USAGE", "--mode must be uefi or legacy");
        await bmc.boot.setBootOverride({ device: device as BootDevice, once: values.persistent !== true, ...(mode !== undefined ? { mode } : {}) });
      }
      const state = await bmc.boot.getBootOverride();
      print(out, `${state.device} ${state.once ? "once" : "persistent"} ${state.mode}`, { address: bmc.displayAddress, boot: state });
      return ExitCode.Ok;
    }
    case "inventory": {
      if (bmc.inventory === undefined) return fail(out, ExitCode.NotSupported, BmcErrorCode.NotSupported, `${bmc.driver} offers no inventory`);
      const inv = await bmc.inventory.getInventory();
      print(out, JSON.stringify(inv, null, 2), { address: bmc.displayAddress, inventory: inv });
      return ExitCode.Ok;
    }
  }
}

export async function run(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        address: { type: "string" },
        username: { type: "string" },
        "password-file": { type: "string" },
        insecure: { type: "boolean" },
        "ca-bundle": { type: "string" },
        timeout: { type: "string" },
        json: { type: "boolean" },
        force: { type: "boolean" },
        device: { type: "string" },
        persistent: { type: "boolean" },
        mode: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    process.stderr.write(`anvil bmc: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return ExitCode.Usage;
  }
  const { values, positionals } = parsed;
  const out: Output = { json: values.json === true };
  if (values.help === true) {
    process.stdout.write(USAGE);
    return ExitCode.Ok;
  }
  const action = positionals[0] as Action | undefined;
  if (action === undefined || !ACTIONS.includes(action) || positionals.length > 1) {
    process.stderr.write(USAGE);
    return ExitCode.Usage;
  }
  if (values.address === undefined || values.username === undefined || values["password-file"] === undefined) {
    return fail(out, ExitCode.Usage, "USAGE", "--address, --username and --password-file are required");
  }
  const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0)) return fail(out, ExitCode.Usage, "USAGE", "--timeout must be a positive integer of milliseconds");

  let password: string;
  let caBundle: string | undefined;
  try {
    password = (await readFile(values["password-file"], "utf8")).replace(/\r?\n$/, "");
    caBundle = values["ca-bundle"] !== undefined ? await readFile(values["ca-bundle"], "utf8") : undefined;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return fail(out, ExitCode.Usage, "USAGE", `cannot read a file given on the command line (${typeof code === "string" ? code : "error"})`);
  }

  let bmc: BmcClient | undefined;
  try {
    bmc = await connectBmc({
      address: values.address,
      credentials: { username: values.username, password },
      insecure: values.insecure === true,
      ...(caBundle !== undefined ? { caBundle } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs, powerTimeoutMs: timeoutMs } : {}),
    });
    return await act(action, bmc, values, out);
  } catch (err) {
    if (isBmcError(err)) return fail(out, EXIT_BY_CODE[err.code], err.code, err.message, err.bmcMessage);
    return fail(out, ExitCode.Failure, "INTERNAL", err instanceof Error ? err.message : String(err));
  } finally {
    await bmc?.close().catch(() => undefined);
  }
}
