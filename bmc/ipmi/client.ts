/**
 * The IPMI v2.0 driver behind the BMC role interfaces: power through Get
 * Chassis Status / Chassis Control (§28.2, §28.3), boot device through
 * Set/Get System Boot Options (§28.12, §28.13), over one reused RMCP+
 * session per client.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { BmcError, BmcErrorCode, isBmcError } from "../errors.js";
import type { BmcClient, BmcCredentials, BootOverride, BootOverrideState, PowerAction, PowerState } from "../types.js";
import { deviceFor, selectorFor } from "./boot-device.js";
import { CIPHER_SUITE_17, CIPHER_SUITE_3, cipherSuite } from "./cipher-suite.js";
import { getDeviceId, type DeviceId } from "./commands/app.js";
import {
  BootParameter,
  decodeBootFlags,
  encodeBootFlags,
  getSystemBootOption,
  SetInProgress,
  setSystemBootOption,
  type BootFlags,
} from "./commands/boot-options.js";
import { chassisControl, ChassisControl, getChassisStatus } from "./commands/chassis.js";
import { withDeadline } from "./deadline.js";
import { RmcpPlusSession, type SessionStats } from "./session.js";
import { parsePrivilegeLevel, type IpmiTarget } from "./target.js";
import { DEFAULT_RETRY, type RetryPolicy } from "./udp-channel.js";

export interface IpmiClientOptions {
  readonly credentials: BmcCredentials;
  /** Deadline of one operation, retries and re-opens included. @default 30_000 */
  readonly timeoutMs?: number;
  /**
   * RMCP+ cipher suite: 3 (SHA-1), 17 (SHA-256), or `auto`: offer 17 and fall
   * back to 3 when the BMC refuses it (costs one round trip per client on
   * BMCs without SHA-256). @default 3
   */
  readonly cipherSuite?: 3 | 17 | "auto";
  /** RAKP 1 name-only lookup instead of username/privilege lookup (§13.20). @default true */
  readonly nameOnlyLookup?: boolean;
  /** The BMC key KG (§13.31), when the BMC is configured with one. */
  readonly kg?: Uint8Array;
  /** Retransmission of lost UDP datagrams. @default { attempts: 4, initialTimeoutMs: 1000, maxTimeoutMs: 4000 } */
  readonly retry?: Partial<RetryPolicy>;
  /** Idle time before a keepalive Get Device ID; 0 disables. @default 20_000 */
  readonly keepaliveMs?: number;
  /** How long `setPower("off")` waits for the OS to honour the soft shutdown before forcing. @default 15_000 */
  readonly gracefulOffTimeoutMs?: number;
  /** Power state polling interval during a graceful off. @default 1_000 */
  readonly powerPollIntervalMs?: number;
}

export interface IpmiClient extends BmcClient {
  readonly driver: "ipmi";
  /** Get Device ID (§20.1), the identity the BMC reports for itself. */
  deviceId(signal?: AbortSignal): Promise<DeviceId>;
  /** One raw Chassis Control operation (§28.3). */
  chassisControl(op: ChassisControl, signal?: AbortSignal): Promise<void>;
  /** Datagram, retransmission and session counters, for tests and metrics. */
  readonly stats: SessionStats;
}

export function createIpmiClient(target: IpmiTarget, options: IpmiClientOptions): IpmiClient {
  const where = displayAddress(target);
  const privilege = parsePrivilegeLevel(target.privilegeLevel);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const session = new RmcpPlusSession({
    host: target.host,
    port: target.port,
    username: options.credentials.username,
    password: options.credentials.password,
    privilege,
    suites: options.cipherSuite === "auto" ? [CIPHER_SUITE_17, CIPHER_SUITE_3] : [cipherSuite(options.cipherSuite ?? 3)],
    nameOnlyLookup: options.nameOnlyLookup ?? true,
    ...(options.kg ? { kg: options.kg } : {}),
    retry: { ...DEFAULT_RETRY, ...options.retry },
    keepaliveMs: options.keepaliveMs ?? 20_000,
    where,
  });
  const op = <T>(what: string, signal: AbortSignal | undefined, fn: (s: AbortSignal, deadline: number) => Promise<T>) =>
    withDeadline(`IPMI ${where}: ${what}`, timeoutMs, signal, fn);

  const powerOn = async (s: AbortSignal): Promise<boolean> => (await session.run(getChassisStatus(), s)).powerOn;

  const readBootFlags = async (s: AbortSignal): Promise<BootFlags> =>
    decodeBootFlags((await session.run(getSystemBootOption(BootParameter.BootFlags), s)).data);

  /** A parameter write whose failure is tolerated: not every BMC implements 0 and 4 (ipmitool does the same). */
  const trySet = async (parameter: number, data: number[], s: AbortSignal): Promise<boolean> => {
    try {
      await session.run(setSystemBootOption(parameter, Uint8Array.from(data)), s);
      return true;
    } catch (err) {
      if (isBmcError(err, BmcErrorCode.BmcError) || isBmcError(err, BmcErrorCode.NotSupported)) return false;
      throw err;
    }
  };

  return {
    driver: "ipmi",
    displayAddress: where,
    virtualMedia: undefined,
    inventory: undefined,
    get stats() {
      return session.stats;
    },
    deviceId: (signal) => op("Get Device ID", signal, (s) => session.run(getDeviceId(), s)),
    chassisControl: (ctl, signal) => op("Chassis Control", signal, (s) => session.run(chassisControl(ctl), s)),
    power: {
      getPower: (signal) =>
        op("power status", signal, async (s): Promise<PowerState> => ((await powerOn(s)) ? "on" : "off")),
      setPower: (action: PowerAction, signal) =>
        op(`power ${action}`, signal, async (s, deadline) => {
          switch (action) {
            case "on":
              return session.run(chassisControl(ChassisControl.PowerUp), s);
            case "force-off":
              return session.run(chassisControl(ChassisControl.PowerDown), s);
            case "reboot":
            case "force-reboot": {
              if (!(await powerOn(s))) return session.run(chassisControl(ChassisControl.PowerUp), s);
              const ctl = action === "reboot" ? ChassisControl.PowerCycle : ChassisControl.HardReset;
              return session.run(chassisControl(ctl), s);
            }
            case "off": {
              if (!(await powerOn(s))) return;
              try {
                await session.run(chassisControl(ChassisControl.SoftShutdown), s);
              } catch (err) {
                // Soft-off is optional in Chassis Control (§28.3); a BMC without it gets the forced off at once.
                if (!isBmcError(err, BmcErrorCode.NotSupported) && !isBmcError(err, BmcErrorCode.BmcError)) throw err;
                return session.run(chassisControl(ChassisControl.PowerDown), s);
              }
              // Keep a margin of the operation's deadline for the forced power down.
              const until = Math.min(Date.now() + (options.gracefulOffTimeoutMs ?? 15_000), deadline - 2_000);
              while (Date.now() < until) {
                await sleep(options.powerPollIntervalMs ?? 1_000, undefined, { signal: s });
                if (!(await powerOn(s))) return;
              }
              return session.run(chassisControl(ChassisControl.PowerDown), s);
            }
          }
        }),
    },
    boot: {
      getBootOverride: (signal) =>
        op("get boot override", signal, async (s): Promise<BootOverrideState> => {
          const flags = await readBootFlags(s);
          return {
            device: deviceFor(flags.device, where),
            once: !flags.persistent,
            // Without the valid bit the mode bit is not a statement about the next boot.
            mode: flags.valid ? (flags.efi ? "UEFI" : "legacy") : "unknown",
          };
        }),
      setBootOverride: (override: BootOverride, signal) =>
        op(`set boot device ${override.device}`, signal, async (s) => {
          const device = selectorFor(override.device, where);
          const persistent = !(override.once ?? true);
          const current = override.mode === undefined ? await readBootFlags(s) : undefined;
          const efi = override.mode === undefined ? (current?.efi ?? false) : override.mode === "UEFI";
          // ipmitool's order (§28.12, §28.13 parameters 0, 4, 5): lock with set-in-progress, clear the
          // BIOS acknowledge so firmware acts on the new flags, write the flags, commit, release.
          const locked = await trySet(BootParameter.SetInProgress, [SetInProgress.SetInProgress], s);
          try {
            await trySet(BootParameter.BootInfoAcknowledge, [0x01, 0x01], s);
            const flags = encodeBootFlags({ persistent, efi, device, ...(current ? { base: current.raw } : {}) });
            await session.run(setSystemBootOption(BootParameter.BootFlags, flags), s);
            if (locked) await trySet(BootParameter.SetInProgress, [SetInProgress.CommitWrite], s);
          } finally {
            if (locked) await trySet(BootParameter.SetInProgress, [SetInProgress.SetComplete], s);
          }
          const got = await readBootFlags(s);
          const problems: string[] = [];
          if (got.device !== device) problems.push(`device selector 0x${got.device.toString(16)}, wanted 0x${device.toString(16)}`);
          // The device is what the next boot acts on, so it must match. Persistence is not
          // verified: virtualbmc (Metal3's dev BMC) reads every override back as one-time, and
          // OpenIPMI's ipmi_sim keeps only the device (no valid bit). Anvil sets the device
          // explicitly at every step and answers a provisioned host's network boot with its local
          // disk, so a BMC that drops persistence still boots what Anvil wants — the same
          // tolerance the Redfish driver has for services that keep only Continuous.
          // The EFI bit is verified only when the caller asked for a mode: otherwise it was
          // carried over from the BMC's own flags, and a BMC that ignores it (virtualbmc
          // always reads legacy) changes nothing the caller asked for.
          if (got.valid && override.mode !== undefined && got.efi !== efi) problems.push(`efi=${got.efi}`);
          if (problems.length > 0) {
            throw new BmcError(
              BmcErrorCode.VerifyFailed,
              `IPMI ${where}: boot override ${override.device} did not take: the BMC reads back ${problems.join(", ")}`,
            );
          }
        }),
    },
    close: () => session.close(),
  };
}

export function displayAddress(target: IpmiTarget): string {
  const host = target.host.includes(":") ? `[${target.host}]` : target.host;
  return `ipmi://${host}:${target.port}`;
}
