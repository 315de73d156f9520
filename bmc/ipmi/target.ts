/**
 * Where an IPMI BMC listens and which privilege to ask for. Mirrors the shape
 * `bmc/address.ts` produces from `ipmi://host[:port][?privilegelevel=...]`.
 */
import { BmcError, BmcErrorCode } from "../errors.js";

export interface IpmiTarget {
  readonly host: string;
  /** @default 623 (RMCP port, IPMI v2.0 §13.1.1) */
  readonly port: number;
  /** Metal3 / Ironic spelling: `ADMINISTRATOR`, `OPERATOR`, `USER`, `CALLBACK`. @default "ADMINISTRATOR" */
  readonly privilegeLevel?: string;
}

/** Requested maximum privilege level codes, IPMI v2.0 §13.17 Table 13-9 and §22.13. */
export const PrivilegeLevel = {
  CALLBACK: 1,
  USER: 2,
  OPERATOR: 3,
  ADMINISTRATOR: 4,
  OEM: 5,
} as const;
export type PrivilegeLevel = (typeof PrivilegeLevel)[keyof typeof PrivilegeLevel];

const ALIASES: Record<string, PrivilegeLevel> = {
  callback: PrivilegeLevel.CALLBACK,
  user: PrivilegeLevel.USER,
  operator: PrivilegeLevel.OPERATOR,
  administrator: PrivilegeLevel.ADMINISTRATOR,
  admin: PrivilegeLevel.ADMINISTRATOR,
  oem: PrivilegeLevel.OEM,
};

export function parsePrivilegeLevel(level: string | undefined): PrivilegeLevel {
  if (level === undefined || level === "") return PrivilegeLevel.ADMINISTRATOR;
  const code = ALIASES[level.toLowerCase()];
  if (code === undefined) {
    throw new BmcError(
      BmcErrorCode.InvalidAddress,
      `unknown IPMI privilege level "${level}" (expected ADMINISTRATOR, OPERATOR, USER or CALLBACK)`,
    );
  }
  return code;
}
