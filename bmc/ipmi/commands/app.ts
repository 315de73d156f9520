/** Application (NetFn 0x06) commands Anvil sends (IPMI v2.0 §20, §22). */
import { need } from "../decode-error.js";
import { NetFn } from "../lan-message.js";
import type { IpmiCommand } from "./command.js";

export interface DeviceId {
  readonly deviceId: number;
  readonly deviceRevision: number;
  readonly firmwareRevision: string;
  /** "IPMI Version" BCD, e.g. 0x02 → "2.0" (§20.1 Table 20-2: bits 3:0 major, 7:4 minor). */
  readonly ipmiVersion: string;
  readonly manufacturerId: number;
  readonly productId: number;
  readonly deviceAvailable: boolean;
}

/** Get Device ID, §20.1 Table 20-2. */
export function getDeviceId(): IpmiCommand<DeviceId> {
  return {
    name: "Get Device ID",
    netFn: NetFn.App,
    cmd: 0x01,
    data: new Uint8Array(0),
    decode(d) {
      need(d, 11, "Get Device ID response");
      const fw1 = d[2] ?? 0;
      const fw2 = d[3] ?? 0;
      const v = d[4] ?? 0;
      return {
        deviceId: d[0] ?? 0,
        deviceRevision: (d[1] ?? 0) & 0x0f,
        // Major revision is binary in bits 6:0, minor is two BCD digits (§20.1).
        firmwareRevision: `${fw1 & 0x7f}.${(fw2 >> 4).toString()}${(fw2 & 0x0f).toString()}`,
        ipmiVersion: `${v & 0x0f}.${v >> 4}`,
        manufacturerId: (d[6] ?? 0) | ((d[7] ?? 0) << 8) | (((d[8] ?? 0) & 0x0f) << 16),
        productId: d.readUInt16LE(9),
        deviceAvailable: (fw1 & 0x80) === 0,
      };
    },
  };
}

export interface ChannelAuthCapabilities {
  readonly channel: number;
  /** Extended Capabilities bit 1: the channel speaks IPMI v2.0 / RMCP+ (§22.13 Table 22-15). */
  readonly ipmiV20: boolean;
  /** Byte 3 bit 4: anonymous login (null user name, null password) enabled. */
  readonly anonymousLogin: boolean;
}

/**
 * Get Channel Authentication Capabilities, §22.13 Table 22-15. Byte 1 bit 7
 * asks for the v2.0 extended data; channel 0x0E means "this channel".
 */
export function getChannelAuthCapabilities(privilege: number): IpmiCommand<ChannelAuthCapabilities> {
  return {
    name: "Get Channel Authentication Capabilities",
    netFn: NetFn.App,
    cmd: 0x38,
    data: Uint8Array.of(0x8e, privilege & 0x0f),
    decode(d) {
      need(d, 8, "Get Channel Authentication Capabilities response");
      return {
        channel: (d[0] ?? 0) & 0x0f,
        ipmiV20: ((d[1] ?? 0) & 0x80) !== 0 && ((d[3] ?? 0) & 0x02) !== 0,
        anonymousLogin: ((d[2] ?? 0) & 0x01) !== 0,
      };
    },
  };
}

/** Set Session Privilege Level, §22.18 Table 22-22: answers the new level in bits 3:0. */
export function setSessionPrivilegeLevel(privilege: number): IpmiCommand<number> {
  return {
    name: "Set Session Privilege Level",
    netFn: NetFn.App,
    cmd: 0x3b,
    data: Uint8Array.of(privilege & 0x0f),
    decode(d) {
      need(d, 1, "Set Session Privilege Level response");
      return (d[0] ?? 0) & 0x0f;
    },
  };
}

/** Close Session, §22.19 Table 22-23: the BMC's session ID, little-endian. */
export function closeSession(bmcSessionId: number): IpmiCommand<void> {
  const data = Buffer.alloc(4);
  data.writeUInt32LE(bmcSessionId >>> 0, 0);
  return { name: "Close Session", netFn: NetFn.App, cmd: 0x3c, data, decode: () => undefined };
}
