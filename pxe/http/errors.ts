/** Typed errors of the HTTP boot service; callers branch on `code`. */
export type PxeHttpErrorCode = "PXE_HTTP_UNSAFE_SCRIPT_VALUE" | "PXE_HTTP_BIND_FAILED";

export class PxeHttpError extends Error {
  override readonly name = "PxeHttpError";
  constructor(
    readonly code: PxeHttpErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
