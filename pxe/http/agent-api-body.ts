/**
 * Shape checks of the deploy agent's POST bodies (docs/agent-protocol.md).
 * Each parser returns the typed message the AgentBackend takes, or throws an
 * `AgentBodyError` naming the first bad field and what was expected — never
 * the value found, which may be anything the host sent.
 *
 * Rules (ADR 0009):
 * - Known fields are type-checked strictly; unknown fields are dropped, so
 *   nothing unchecked reaches the host's objects and a newer agent that adds
 *   a field still works.
 * - `null` counts as absent for optional fields: Go encodes nil slices and
 *   maps as `null` (a host without NICs posts `"nics": null`). Only the
 *   progress totals give `null` a meaning ("unknown").
 * - Sizes are bounded per field so one inventory stays a sane Kubernetes
 *   object even below the 1 MiB body cap.
 */
import type { HardwareDetails } from "../../api/index.js";
import type { AgentAction, AgentProgress, AgentResult } from "../agent-backend.js";

export class AgentBodyError extends Error {
  override readonly name = "AgentBodyError";
  readonly code = "AGENT_BAD_BODY";
  constructor(
    readonly field: string,
    expectation: string,
  ) {
    super(`${field}: ${expectation}`);
  }
}

type Check<T> = (v: unknown, field: string) => T;

const MAX_STRING = 4096;
const ACTIONS: readonly AgentAction[] = ["inspect", "deploy", "wipe"];
// IEEE 802 canonical form as Linux prints it (the same pattern as api/'s NIC schema).
const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

const str =
  (max = MAX_STRING, pattern?: RegExp, what = "a string"): Check<string> =>
  (v, field) => {
    if (typeof v !== "string") throw new AgentBodyError(field, `expected ${what}`);
    if (v.length > max) throw new AgentBodyError(field, `longer than ${max} characters`);
    if (pattern && !pattern.test(v)) throw new AgentBodyError(field, `expected ${what}`);
    return v;
  };

const int =
  (min = 0, max = Number.MAX_SAFE_INTEGER): Check<number> =>
  (v, field) => {
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) throw new AgentBodyError(field, `expected an integer from ${min} to ${max}`);
    return v;
  };

const num: Check<number> = (v, field) => {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new AgentBodyError(field, "expected a number");
  return v;
};

const bool: Check<boolean> = (v, field) => {
  if (typeof v !== "boolean") throw new AgentBodyError(field, "expected true or false");
  return v;
};

const oneOf =
  <T extends string>(values: readonly T[]): Check<T> =>
  (v, field) => {
    if (typeof v !== "string" || !(values as readonly string[]).includes(v)) throw new AgentBodyError(field, `expected one of ${values.join(", ")}`);
    return v as T;
  };

const arr =
  <T>(item: Check<T>, max: number): Check<T[]> =>
  (v, field) => {
    if (!Array.isArray(v)) throw new AgentBodyError(field, "expected an array");
    if (v.length > max) throw new AgentBodyError(field, `more than ${max} entries`);
    return v.map((x, i) => item(x, `${field}[${i}]`));
  };

function record(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new AgentBodyError(field, "expected an object");
  return v as Record<string, unknown>;
}

type Shape = Record<string, Check<unknown>>;
type Out<S extends Shape> = { -readonly [K in keyof S]?: ReturnType<S[K]> };

/** An object of optional fields; absent and `null` fields are left out, unknown ones dropped. */
const shape =
  <S extends Shape>(spec: S): Check<Out<S>> =>
  (v, field) => {
    const o = record(v, field);
    const out: Record<string, unknown> = {};
    for (const [k, check] of Object.entries(spec)) {
      const x = o[k];
      if (x !== undefined && x !== null) out[k] = check(x, `${field}.${k}`);
    }
    return out as Out<S>;
  };

const vlanId = int(0, 4094);
const nic = shape({
  name: str(256),
  model: str(),
  mac: str(17, MAC, "a MAC address like 52:54:00:12:34:56"),
  ip: str(64),
  speedGbps: int(),
  vlans: arr(shape({ id: vlanId, name: str(256) }), 4095),
  vlanId,
  pxe: bool,
  pciAddress: str(64),
  lldp: shape({ switchID: str(), portID: str(), switchSystemName: str() }),
});
const disk = shape({
  name: str(),
  alternateNames: arr(str(), 64),
  rotational: bool,
  type: oneOf(["HDD", "SSD", "NVME"] as const),
  sizeBytes: int(),
  model: str(),
  vendor: str(),
  serialNumber: str(),
  wwn: str(),
  wwnWithExtension: str(),
  wwnVendorExtension: str(),
  hctl: str(64),
});
const hardware = shape({
  systemVendor: shape({ manufacturer: str(), productName: str(), serialNumber: str() }),
  firmware: shape({ bios: shape({ date: str(), vendor: str(), version: str() }) }),
  ramMebibytes: int(),
  nics: arr(nic, 256),
  storage: arr(disk, 1024),
  cpu: shape({ arch: str(64), model: str(), clockMegahertz: num, flags: arr(str(64), 1024), count: int() }),
  hostname: str(256),
});

/** `POST /inventory`: `{"hardware": HardwareDetails}`. */
export function parseInventory(body: unknown): HardwareDetails {
  const o = record(body, "body");
  if (o.hardware === undefined || o.hardware === null) throw new AgentBodyError("hardware", "required");
  return hardware(o.hardware, "hardware");
}

/** A byte count that may be `null` on the wire ("unknown", Go's nil *int64); absent here then. */
function total(o: Record<string, unknown>, key: string): number | undefined {
  const v = o[key];
  return v === undefined || v === null ? undefined : int()(v, key);
}

function required<T>(o: Record<string, unknown>, key: string, check: Check<T>, field = key): T {
  if (o[key] === undefined || o[key] === null) throw new AgentBodyError(field, "required");
  return check(o[key], field);
}

/** `POST /progress`; the wire's `bytesTotal`/`bytesDownloadTotal` become `total`/`downloadTotal`. */
export function parseProgress(body: unknown): AgentProgress {
  const o = record(body, "body");
  const t = total(o, "bytesTotal");
  const dt = total(o, "bytesDownloadTotal");
  const downloaded = o.bytesDownloaded === undefined || o.bytesDownloaded === null ? undefined : int()(o.bytesDownloaded, "bytesDownloaded");
  const device = o.device === undefined || o.device === null ? undefined : str(256)(o.device, "device");
  return {
    action: required(o, "action", oneOf(ACTIONS)),
    phase: required(o, "phase", str(64, /^[A-Za-z][A-Za-z0-9_-]*$/, "a phase name like writing")),
    bytesWritten: required(o, "bytesWritten", int()),
    ...(t !== undefined ? { total: t } : {}),
    ...(downloaded !== undefined ? { bytesDownloaded: downloaded } : {}),
    ...(dt !== undefined ? { downloadTotal: dt } : {}),
    ...(device !== undefined ? { device } : {}),
  };
}

const MAX_MESSAGE = 1024;

/**
 * One line of at most 1 KiB: the message ends up in the host's status and
 * events. Normalised rather than refused, because a refused result is a lost
 * one (the agent gives up after 30 tries) and the code already says what failed.
 */
function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
  const flat = s.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE - 1)}…` : flat;
}

/** `POST /result`. A failed result must carry `error`; a successful one must not. */
export function parseResult(body: unknown): AgentResult {
  const o = record(body, "body");
  const action = required(o, "action", oneOf(ACTIONS));
  const ok = required(o, "ok", bool);
  let error: AgentResult["error"];
  if (o.error !== undefined && o.error !== null) {
    if (ok) throw new AgentBodyError("error", "only allowed when ok is false");
    const e = record(o.error, "error");
    const code = required(e, "code", str(64, /^[A-Z][A-Z0-9_]*$/, "an upper-case error code like CHECKSUM_MISMATCH"), "error.code");
    const message = e.message === undefined || e.message === null ? "" : str(64 * 1024)(e.message, "error.message");
    error = { code, message: oneLine(message) };
  } else if (!ok) {
    throw new AgentBodyError("error", "required when ok is false");
  }
  const rootDevice = o.rootDevice === undefined || o.rootDevice === null ? undefined : str(256)(o.rootDevice, "rootDevice");
  const wiped = o.wiped === undefined || o.wiped === null ? undefined : arr(str(256), 1024)(o.wiped, "wiped");
  return {
    action,
    ok,
    ...(error ? { error } : {}),
    ...(rootDevice !== undefined ? { rootDevice } : {}),
    ...(wiped !== undefined ? { wiped } : {}),
  };
}
