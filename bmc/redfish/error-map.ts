/**
 * Turns transport failures and Redfish error responses into typed BmcErrors.
 * The axios error is never kept as `cause`: its config carries the
 * Authorization header (Basic credentials or a session token).
 */
import { BmcError, BmcErrorCode } from "../errors.js";

/** Node socket errors meaning "nobody answered there". */
const UNREACHABLE = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "ECONNRESET", "EPIPE", "EADDRNOTAVAIL"]);
const TIMED_OUT = new Set(["ETIMEDOUT", "ECONNABORTED", "ESOCKETTIMEDOUT"]);
/** OpenSSL verify codes and Node's host-name check: the peer answered, but we do not trust it. */
const TLS_UNTRUSTED = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

interface ExtendedInfo {
  readonly MessageId?: unknown;
  readonly Message?: unknown;
  readonly Resolution?: unknown;
}

/**
 * The BMC's own words from a Redfish error body. DSP0266 "Error responses":
 * `error.code`, `error.message`, and `error.@Message.ExtendedInfo[]` of
 * Message objects (`MessageId`, `Message`, `Resolution`). Messages win over
 * the generic `error.message`; a bare MessageId is kept when nothing else is.
 */
export function extendedInfoMessage(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { code?: unknown; message?: unknown; "@Message.ExtendedInfo"?: unknown };
  const infos = Array.isArray(e["@Message.ExtendedInfo"]) ? (e["@Message.ExtendedInfo"] as ExtendedInfo[]) : [];
  const messages = infos
    .map((i) => (typeof i.Message === "string" && i.Message !== "" ? (typeof i.MessageId === "string" ? `${i.MessageId}: ${i.Message}` : i.Message) : undefined))
    .filter((m): m is string => m !== undefined);
  if (messages.length > 0) return messages.join("; ");
  if (typeof e.message === "string" && e.message !== "") return e.message;
  const ids = infos.map((i) => i.MessageId).filter((m): m is string => typeof m === "string");
  if (ids.length > 0) return ids.join("; ");
  return typeof e.code === "string" ? e.code : undefined;
}

/** An HTTP status that is not a success, with its parsed body, as a typed error. */
export function httpStatusError(where: string, method: string, path: string, status: number, body: unknown): BmcError {
  const bmcMessage = extendedInfoMessage(body);
  const said = bmcMessage !== undefined ? `: ${bmcMessage}` : "";
  const head = `${where}: ${method} ${path} answered ${status}${said}`;
  if (status === 401 || status === 403) {
    return new BmcError(BmcErrorCode.AuthFailed, `${where}: the BMC rejected the credentials (${method} ${path} answered ${status})`, { bmcMessage });
  }
  if (status === 405 || status === 501) return new BmcError(BmcErrorCode.NotSupported, head, { bmcMessage });
  // 5xx and 429 are the BMC being busy or broken now; 408 a slow request.
  const transient = status >= 500 || status === 429 || status === 408;
  return new BmcError(BmcErrorCode.BmcError, head, { transient, bmcMessage });
}

/** A failure below HTTP (socket, TLS, timeout, abort) as a typed error. */
export function transportError(where: string, method: string, path: string, err: unknown, aborted: boolean): BmcError {
  const code = errorCode(err);
  const what = `${where}: ${method} ${path}`;
  if (aborted || code === "ERR_CANCELED") return new BmcError(BmcErrorCode.Timeout, `${what} was aborted at its deadline`, { transient: true });
  if (code !== undefined && TLS_UNTRUSTED.has(code)) {
    return new BmcError(
      BmcErrorCode.TlsUntrusted,
      `${what}: the BMC's TLS certificate is not trusted (${code}); pass a CA bundle or disable certificate verification`,
    );
  }
  if (code !== undefined && UNREACHABLE.has(code)) return new BmcError(BmcErrorCode.Unreachable, `${what}: ${code}`, { transient: true });
  if (code !== undefined && TIMED_OUT.has(code)) return new BmcError(BmcErrorCode.Timeout, `${what}: no answer (${code})`, { transient: true });
  if (code !== undefined && (code.startsWith("ERR_SSL") || code.startsWith("EPROTO") || code === "HPE_INVALID_CONSTANT")) {
    return new BmcError(BmcErrorCode.ProtocolError, `${what}: not a valid TLS/HTTP answer (${code})`);
  }
  return new BmcError(BmcErrorCode.Unreachable, `${what}: ${code ?? "request failed"}`, { transient: true });
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const own = (err as { code?: unknown }).code;
  const cause = (err as { cause?: { code?: unknown } }).cause;
  if (typeof cause?.code === "string" && (own === undefined || own === "ECONNABORTED" || own === "ERR_BAD_RESPONSE")) return cause.code;
  return typeof own === "string" ? own : undefined;
}
