/** Typed errors of the TFTP service; callers branch on `code`. Protocol-level refusals are TFTP ERROR packets, not exceptions. */
export type TftpServerErrorCode = "TFTP_BIND_FAILED" | "TFTP_ALREADY_LISTENING" | "TFTP_NATIVE_UNAVAILABLE";

export class TftpServerError extends Error {
  override readonly name = "TftpServerError";
  constructor(
    readonly code: TftpServerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
