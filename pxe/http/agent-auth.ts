/**
 * Authentication of the deploy agent's API calls: a per-host bearer token
 * (RFC 6750 §2.1) that the boot backend maps to its host. The token must
 * belong to the host the URL names; another host's valid token is 403, an
 * unknown or missing one 401 (RFC 9110 §15.5.2, §15.5.4).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { normalizeMac, type BootBackend, type BootRecord } from "../boot-backend.js";

export type AgentAuthResult =
  | { readonly ok: true; readonly record: BootRecord }
  | { readonly ok: false; readonly status: 401 | 403; readonly code: "AGENT_TOKEN_MISSING" | "AGENT_TOKEN_INVALID" | "AGENT_TOKEN_WRONG_HOST" };

/** Compares two secrets in time independent of where they differ (hashing first makes lengths equal). */
export function tokensEqual(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}

export function bearerToken(authorization: string | undefined): string | undefined {
  const m = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(authorization ?? "");
  return m?.[1];
}

export async function authenticateAgent(backend: BootBackend, authorization: string | undefined, pathMac: string, signal?: AbortSignal): Promise<AgentAuthResult> {
  const token = bearerToken(authorization);
  if (token === undefined) return { ok: false, status: 401, code: "AGENT_TOKEN_MISSING" };
  const record = backend.byToken ? await backend.byToken(token, signal) : undefined;
  // The backend's lookup may use a map; the final check is ours and constant-time.
  if (!record || record.action.kind !== "ramdisk" || !tokensEqual(token, record.action.token)) {
    return { ok: false, status: 401, code: "AGENT_TOKEN_INVALID" };
  }
  if (normalizeMac(pathMac) !== record.mac) return { ok: false, status: 403, code: "AGENT_TOKEN_WRONG_HOST" };
  return { ok: true, record };
}
