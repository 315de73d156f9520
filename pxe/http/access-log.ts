/**
 * Structured access log entries. Tokens never reach the log: the
 * Authorization header is not logged, and query parameters that carry
 * secrets are replaced by `REDACTED`.
 */
export interface HttpAccessEvent {
  readonly event: "http";
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly bytes: number;
  readonly ms: number;
  readonly remote: string;
  /** The host the request was about, when known (per-MAC script, agent call). */
  readonly host?: string;
}

const SECRET_PARAMS = /^(token|anvil\.token|access_token|password|secret)$/i;

export function redactPath(url: string): string {
  const q = url.indexOf("?");
  if (q < 0) return url;
  const params = url
    .slice(q + 1)
    .split("&")
    .map((kv) => {
      const eq = kv.indexOf("=");
      const name = eq < 0 ? kv : kv.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        /* keep raw */
      }
      return eq >= 0 && SECRET_PARAMS.test(decoded) ? `${name}=REDACTED` : kv;
    });
  return `${url.slice(0, q)}?${params.join("&")}`;
}
