/**
 * Typed API errors with stable codes, mapped from the `Status` object the API
 * server returns (meta/v1 Status: `reason`, `code`, `details.causes`).
 * Reconcilers branch on `code`, never on message text. Messages carry the
 * server's own words after redaction, never a request body: a rejected
 * Secret write must not echo its data into a log line.
 */
import { redactText } from "./redact.js";

export const ApiErrorCode = {
  /** 404, or reason NotFound. */
  NotFound: "API_NOT_FOUND",
  /** 409 on create: the name is taken. */
  AlreadyExists: "API_ALREADY_EXISTS",
  /** 409 otherwise: a stale resourceVersion (optimistic concurrency lost). */
  Conflict: "API_CONFLICT",
  /** 422: the object failed validation; see `causes`. */
  Invalid: "API_INVALID",
  /** 400. */
  BadRequest: "API_BAD_REQUEST",
  /** 401. */
  Unauthorized: "API_UNAUTHORIZED",
  /** 403: RBAC refused, or a namespace is terminating. */
  Forbidden: "API_FORBIDDEN",
  /** 410: the resourceVersion of a watch or continue token is too old; relist. */
  Gone: "API_GONE",
  /** 429: the server's priority and fairness throttled us. */
  TooManyRequests: "API_TOO_MANY_REQUESTS",
  /** 5xx other than 504, or no answer at all (refused, reset). */
  Unavailable: "API_UNAVAILABLE",
  /** 504, reason Timeout, or the client's own deadline passed. */
  Timeout: "API_TIMEOUT",
  /** Anything else. */
  Unknown: "API_UNKNOWN",
} as const;
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

/** One field problem of a 422 Invalid answer (meta/v1 StatusCause). */
export interface FieldCause {
  readonly field: string;
  readonly reason: string;
  readonly message: string;
}

export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details: {
      readonly httpStatus?: number;
      readonly causes?: readonly FieldCause[];
      /** Seconds the server asked us to wait (Retry-After, details.retryAfterSeconds). */
      readonly retryAfterSeconds?: number;
      readonly cause?: unknown;
    } = {},
  ) {
    super(message, details.cause !== undefined ? { cause: details.cause } : undefined);
  }

  get causes(): readonly FieldCause[] {
    return this.details.causes ?? [];
  }

  /** Whether the same call may succeed later without anyone changing anything. */
  get transient(): boolean {
    return (
      this.code === ApiErrorCode.Unavailable ||
      this.code === ApiErrorCode.Timeout ||
      this.code === ApiErrorCode.TooManyRequests
    );
  }
}

export function isApiError(err: unknown, code?: ApiErrorCode): err is ApiError {
  return err instanceof ApiError && (code === undefined || err.code === code);
}

export const isNotFound = (err: unknown): boolean => isApiError(err, ApiErrorCode.NotFound);
export const isConflict = (err: unknown): boolean => isApiError(err, ApiErrorCode.Conflict);

interface StatusBody {
  kind?: unknown;
  message?: unknown;
  reason?: unknown;
  details?: { causes?: unknown; retryAfterSeconds?: unknown };
}

/** Maps an HTTP status and its (maybe) Status body to a typed error. */
export function errorFromResponse(httpStatus: number, body: unknown, what: string, retryAfter?: string): ApiError {
  const s = (typeof body === "object" && body !== null ? body : {}) as StatusBody;
  const reason = typeof s.reason === "string" ? s.reason : "";
  const serverMessage = typeof s.message === "string" ? s.message : typeof body === "string" ? body.slice(0, 500) : "";
  const causes = Array.isArray(s.details?.causes)
    ? (s.details.causes as { field?: unknown; reason?: unknown; message?: unknown }[]).map((c) => ({
        field: typeof c.field === "string" ? c.field : "",
        reason: typeof c.reason === "string" ? c.reason : "",
        message: redactText(typeof c.message === "string" ? c.message : ""),
      }))
    : undefined;
  const retry = typeof s.details?.retryAfterSeconds === "number" ? s.details.retryAfterSeconds : Number(retryAfter);
  const code = codeFor(httpStatus, reason);
  const message = `${what}: ${httpStatus} ${reason || code}${serverMessage ? `: ${redactText(serverMessage)}` : ""}`;
  return new ApiError(code, message, {
    httpStatus,
    ...(causes ? { causes } : {}),
    ...(Number.isFinite(retry) && retry > 0 ? { retryAfterSeconds: retry } : {}),
  });
}

function codeFor(httpStatus: number, reason: string): ApiErrorCode {
  // Reason first: it is the machine-readable field (meta/v1 StatusReason);
  // the HTTP status is its fallback for proxies that answer without a Status.
  switch (reason) {
    case "NotFound":
      return ApiErrorCode.NotFound;
    case "AlreadyExists":
      return ApiErrorCode.AlreadyExists;
    case "Conflict":
      return ApiErrorCode.Conflict;
    case "Invalid":
      return ApiErrorCode.Invalid;
    case "Forbidden":
      return ApiErrorCode.Forbidden;
    case "Unauthorized":
      return ApiErrorCode.Unauthorized;
    case "Gone":
    case "Expired":
      return ApiErrorCode.Gone;
    case "TooManyRequests":
      return ApiErrorCode.TooManyRequests;
    case "Timeout":
    case "ServerTimeout":
      return ApiErrorCode.Timeout;
    case "ServiceUnavailable":
    case "InternalError":
      return ApiErrorCode.Unavailable;
  }
  if (httpStatus === 404) return ApiErrorCode.NotFound;
  if (httpStatus === 409) return ApiErrorCode.Conflict;
  if (httpStatus === 422) return ApiErrorCode.Invalid;
  if (httpStatus === 400) return ApiErrorCode.BadRequest;
  if (httpStatus === 401) return ApiErrorCode.Unauthorized;
  if (httpStatus === 403) return ApiErrorCode.Forbidden;
  if (httpStatus === 410) return ApiErrorCode.Gone;
  if (httpStatus === 429) return ApiErrorCode.TooManyRequests;
  if (httpStatus === 504) return ApiErrorCode.Timeout;
  if (httpStatus >= 500) return ApiErrorCode.Unavailable;
  return ApiErrorCode.Unknown;
}
