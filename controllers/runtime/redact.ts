/**
 * The redaction layer every log line, event message and error message passes
 * through. It drops values by field name (a `password` is hidden wherever it
 * sits in a structure), and Secret `data`/`stringData` wholesale, because a
 * Secret's keys are free-form: `value` of a bootstrap Secret is user data.
 */
export const REDACTED = "[redacted]";

/** Field names whose values are secret wherever they appear (compared case-insensitively). */
const SECRET_FIELDS = new Set([
  "password",
  "passwd",
  "token",
  "bearertoken",
  "authorization",
  "userdata",
  "user_data",
  "networkdata",
  "metadata_secret",
  "client-key-data",
  "clientkeydata",
  "privatekey",
  "credentials",
]);

const isSecretField = (name: string): boolean => SECRET_FIELDS.has(name.toLowerCase());

/**
 * Returns a deep copy of `value` with secret fields replaced. A Secret object
 * (`kind: Secret`) keeps its metadata but loses every value of `data` and
 * `stringData`. Cycles and depth past 8 are cut.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return "[deep]";
  if (typeof value === "string") return redactText(value);
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Error) return redactText(value.message);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const obj = value as Record<string, unknown>;
  const isSecret = obj.kind === "Secret";
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (isSecretField(k)) out[k] = REDACTED;
    else if (isSecret && (k === "data" || k === "stringData") && v && typeof v === "object")
      out[k] = Object.fromEntries(Object.keys(v).map((dk) => [dk, REDACTED]));
    else out[k] = redact(v, depth + 1);
  }
  return out;
}

/**
 * Hides secrets inside free text: URL userinfo (`redfish://admin:pw@host`),
 * `password=...`/`token: ...` pairs, and bearer tokens.
 */
export function redactText(text: string): string {
  return text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, `$1${REDACTED}@`)
    .replace(/\b(password|passwd|token|secret)(["']?\s*[:=]\s*["']?)[^\s"',;&]+/gi, `$1$2${REDACTED}`)
    .replace(/\bBearer\s+[A-Za-z0-9._~+/=-]+/g, `Bearer ${REDACTED}`);
}

/**
 * A redactor that also hides given literal values (the password a reconcile
 * just read from a Secret), for the places that know them.
 */
export function redactorFor(secrets: readonly string[]): (text: string) => string {
  const literal = secrets.filter((s) => s.length >= 4);
  return (text) => {
    let out = redactText(text);
    for (const s of literal) out = out.split(s).join(REDACTED);
    return out;
  };
}
