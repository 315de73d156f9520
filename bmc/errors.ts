/**
 * Typed BMC errors with stable codes. Callers branch on `code`, never on
 * message text. Messages never contain credentials: drivers build them from
 * the address (with any userinfo removed) and the BMC's own words.
 */
export const BmcErrorCode = {
  /** The address could not be parsed, or names a scheme no driver handles. */
  InvalidAddress: "BMC_INVALID_ADDRESS",
  /** No answer: connection refused, DNS failure, no UDP reply after retries. */
  Unreachable: "BMC_UNREACHABLE",
  /** The BMC rejected the credentials (HTTP 401/403, RAKP integrity mismatch, IPMI 0x0d/0x12). */
  AuthFailed: "BMC_AUTH_FAILED",
  /** The BMC or driver does not offer the operation (no VirtualMedia, an unsupported ResetType). */
  NotSupported: "BMC_NOT_SUPPORTED",
  /** The BMC answered with an error of its own (HTTP 5xx, Redfish ExtendedInfo, IPMI completion code). */
  BmcError: "BMC_ERROR",
  /** The BMC answered with something that is not the protocol (garbage, truncated packets). */
  ProtocolError: "BMC_PROTOCOL_ERROR",
  /** The BMC's TLS certificate is not trusted (self-signed, unknown CA, wrong name); see `insecure` and `caBundle`. */
  TlsUntrusted: "BMC_TLS_UNTRUSTED",
  /** The operation did not finish within its deadline. */
  Timeout: "BMC_TIMEOUT",
  /** A write was accepted but reading it back showed a different value. */
  VerifyFailed: "BMC_VERIFY_FAILED",
} as const;
export type BmcErrorCode = (typeof BmcErrorCode)[keyof typeof BmcErrorCode];

export class BmcError extends Error {
  override readonly name = "BmcError";
  constructor(
    readonly code: BmcErrorCode,
    message: string,
    options?: {
      cause?: unknown;
      /** Whether retrying the same call may succeed (timeouts, 5xx, lost packets). */
      transient?: boolean;
      /** The BMC's own error text (Redfish @Message.ExtendedInfo, IPMI completion code name). */
      bmcMessage?: string;
    },
  ) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.transient = options?.transient ?? false;
    this.bmcMessage = options?.bmcMessage;
  }
  readonly transient: boolean;
  readonly bmcMessage: string | undefined;
}

export function isBmcError(err: unknown, code?: BmcErrorCode): err is BmcError {
  return err instanceof BmcError && (code === undefined || err.code === code);
}
