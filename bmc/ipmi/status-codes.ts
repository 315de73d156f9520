/**
 * Names for the numbers BMCs answer with, and which typed error each becomes:
 * RMCP+ status codes (IPMI v2.0 §13.24 Table 13-15) and command completion
 * codes (§5.2 Table 5-2).
 */
import { BmcError, BmcErrorCode } from "../errors.js";

const RMCP_PLUS_STATUS: Record<number, string> = {
  0x01: "insufficient resources to create a session",
  0x02: "invalid session ID",
  0x03: "invalid payload type",
  0x04: "invalid authentication algorithm",
  0x05: "invalid integrity algorithm",
  0x06: "no matching authentication payload",
  0x07: "no matching integrity payload",
  0x08: "inactive session ID",
  0x09: "invalid role",
  0x0a: "unauthorized role or privilege level requested",
  0x0b: "insufficient resources to create a session at the requested role",
  0x0c: "invalid name length",
  0x0d: "unauthorized name",
  0x0e: "unauthorized GUID",
  0x0f: "invalid integrity check value",
  0x10: "invalid confidentiality algorithm",
  0x11: "no cipher suite match with proposed security algorithms",
  0x12: "illegal or unrecognized parameter",
};

const AUTH_STATUSES = new Set([0x09, 0x0a, 0x0d, 0x0e, 0x0f]);
const UNSUPPORTED_STATUSES = new Set([0x04, 0x05, 0x06, 0x07, 0x10, 0x11]);
const TRANSIENT_STATUSES = new Set([0x01, 0x0b]);

export function rmcpPlusStatusName(status: number): string {
  return RMCP_PLUS_STATUS[status] ?? `unknown status 0x${hex(status)}`;
}

/** The typed error for a non-zero RMCP+ status in an Open Session Response or RAKP 2/4. */
export function rmcpPlusStatusError(step: string, status: number, where: string): BmcError {
  const name = rmcpPlusStatusName(status);
  const code = AUTH_STATUSES.has(status)
    ? BmcErrorCode.AuthFailed
    : UNSUPPORTED_STATUSES.has(status)
      ? BmcErrorCode.NotSupported
      : BmcErrorCode.BmcError;
  return new BmcError(code, `IPMI ${where}: ${step} refused: ${name} (RMCP+ status 0x${hex(status)})`, {
    bmcMessage: name,
    transient: TRANSIENT_STATUSES.has(status),
  });
}

const COMPLETION_CODES: Record<number, string> = {
  0x00: "command completed normally",
  0xc0: "node busy",
  0xc1: "invalid command",
  0xc2: "command invalid for given LUN",
  0xc3: "timeout while processing command",
  0xc4: "out of space",
  0xc5: "reservation canceled or invalid reservation ID",
  0xc6: "request data truncated",
  0xc7: "request data length invalid",
  0xc8: "request data field length limit exceeded",
  0xc9: "parameter out of range",
  0xca: "cannot return number of requested data bytes",
  0xcb: "requested sensor, data, or record not present",
  0xcc: "invalid data field in request",
  0xcd: "command illegal for specified sensor or record type",
  0xce: "command response could not be provided",
  0xcf: "cannot execute duplicated request",
  0xd0: "SDR repository in update mode",
  0xd1: "device in firmware update mode",
  0xd2: "BMC initialization or initialization agent in progress",
  0xd3: "destination unavailable",
  0xd4: "insufficient privilege level",
  0xd5: "command not supported in present state",
  0xd6: "command sub-function has been disabled or is unavailable",
  0xff: "unspecified error",
};

/** Command-specific codes 0x80–0xBE of the commands Anvil sends (§22.18, §28.12). */
export const COMMAND_SPECIFIC_CODES: Record<string, Record<number, string>> = {
  "Set Session Privilege Level": {
    0x80: "requested level not available for this user",
    0x81: "requested level exceeds channel and/or user privilege limit",
    0x82: "cannot disable user level authentication",
  },
  "Set System Boot Options": {
    0x80: "parameter not supported",
    0x81: "attempt to set the 'set in progress' value when not in the 'set complete' state",
    0x82: "attempt to write a read-only parameter",
  },
  "Get System Boot Options": { 0x80: "parameter not supported" },
  "Close Session": { 0x87: "invalid session ID in request", 0x88: "invalid session handle in request" },
};

const TRANSIENT_CODES = new Set([0xc0, 0xc3, 0xce, 0xd2]);
const UNSUPPORTED_CODES = new Set([0xc1, 0xc2, 0xd5, 0xd6]);

export function completionCodeName(command: string, code: number): string {
  return COMMAND_SPECIFIC_CODES[command]?.[code] ?? COMPLETION_CODES[code] ?? `completion code 0x${hex(code)}`;
}

/** The typed error for a non-zero completion code of `command`. */
export function completionCodeError(command: string, code: number, where: string): BmcError {
  const name = completionCodeName(command, code);
  const errCode =
    code === 0xd4
      ? BmcErrorCode.AuthFailed
      : UNSUPPORTED_CODES.has(code)
        ? BmcErrorCode.NotSupported
        : BmcErrorCode.BmcError;
  return new BmcError(errCode, `IPMI ${where}: ${command} failed: ${name} (0x${hex(code)})`, {
    bmcMessage: name,
    transient: TRANSIENT_CODES.has(code),
  });
}

export function hex(n: number): string {
  return n.toString(16).padStart(2, "0");
}
