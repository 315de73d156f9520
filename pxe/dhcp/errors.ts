/**
 * Why a datagram was not a DHCP message Anvil can read. The server loop
 * catches these, counts them under `code` and drops the datagram: bad input
 * never escapes the loop.
 */
export type DhcpDecodeCode =
  | "DHCP_TOO_SHORT"
  | "DHCP_BAD_OP"
  | "DHCP_BAD_HLEN"
  | "DHCP_BAD_COOKIE"
  | "DHCP_TRUNCATED_OPTION"
  | "DHCP_MISSING_END"
  | "DHCP_BAD_OVERLOAD"
  | "DHCP_NO_MESSAGE_TYPE"
  | "DHCP_BAD_OPTION_LENGTH";

export class DhcpDecodeError extends Error {
  constructor(
    readonly code: DhcpDecodeCode,
    message: string,
  ) {
    super(message);
    this.name = "DhcpDecodeError";
  }
}

export type DhcpEncodeCode = "DHCP_REPLY_TOO_LARGE" | "DHCP_BAD_FIELD";

export class DhcpEncodeError extends Error {
  constructor(
    readonly code: DhcpEncodeCode,
    message: string,
  ) {
    super(message);
    this.name = "DhcpEncodeError";
  }
}

export type DhcpConfigCode = "DHCP_CONFIG_INVALID";

export class DhcpConfigError extends Error {
  readonly code: DhcpConfigCode = "DHCP_CONFIG_INVALID";
  constructor(message: string) {
    super(message);
    this.name = "DhcpConfigError";
  }
}

export type DhcpLeaseFileCode = "DHCP_LEASE_FILE_CORRUPT" | "DHCP_LEASE_STORE_CLOSED";

/** The lease file cannot be trusted (starting would risk one address for two clients) or is closed. */
export class DhcpLeaseFileError extends Error {
  constructor(
    readonly code: DhcpLeaseFileCode,
    message: string,
  ) {
    super(message);
    this.name = "DhcpLeaseFileError";
  }
}
