/**
 * One simulated deploy-ramdisk run: what ramdisk/agent does after the kernel
 * booted, over the same wire (docs/agent-protocol.md) with the `anvil.api`
 * and `anvil.token` the manager's iPXE script put on the kernel line. It
 * polls `/instructions`, inspects (a MAC-derived HardwareDetails), deploys
 * (downloads the image, checks its checksum, posts progress) and wipes, with
 * the protocol's back-off and result retries. The run ends when the signal
 * aborts (the machine lost power or rebooted), after `poweroff`, or when the
 * token keeps being refused (the manager has moved on to a newer ramdisk).
 */
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { HardwareDetails, RootDeviceHints } from "../../api/index.js";
import { simulatedHardware } from "./sim-hardware.js";

export type SimEvent =
  | { readonly at: number; readonly mac: string; readonly kind: "boot"; readonly target: "ramdisk" | "local-disk" | "none" | "unknown" }
  | { readonly at: number; readonly mac: string; readonly kind: "instruction"; readonly action: string }
  | { readonly at: number; readonly mac: string; readonly kind: "inventory"; readonly ok: boolean }
  | { readonly at: number; readonly mac: string; readonly kind: "progress"; readonly phase: string; readonly bytesWritten: number }
  | { readonly at: number; readonly mac: string; readonly kind: "result"; readonly action: string; readonly ok: boolean; readonly delivered: boolean; readonly code?: string }
  | { readonly at: number; readonly mac: string; readonly kind: "session-end"; readonly why: SessionEnd };

export type SessionEnd = "stopped" | "poweroff" | "unauthorized";

/** A deploy the simulated agent carried out. */
export interface SimDeploy {
  readonly at: number;
  readonly mac: string;
  readonly imageUrl: string;
  readonly ok: boolean;
  /** Why it failed (the code the agent reported). */
  readonly code?: string;
  /** The config drive's user data exactly as received (`undefined`: none). */
  readonly userData: string | undefined;
  readonly metaData: Readonly<Record<string, unknown>> | undefined;
}

export interface AgentSessionOptions {
  /** `anvil.api` from the kernel line. */
  readonly api: string;
  /** `anvil.token` from the kernel line. */
  readonly token: string;
  readonly mac: string;
  readonly ip: string;
  readonly signal: AbortSignal;
  /** Progress posts per deploy while "writing". @default 3 */
  readonly progressSteps?: number;
  /** Pause between two progress posts. @default 500 */
  readonly progressStepMs?: number;
  readonly onEvent: (e: SimEvent) => void;
  readonly onDeploy: (d: SimDeploy) => void;
  /** What the machine does on `poweroff`: the sim asks its BMC to force it off. */
  readonly powerOff: () => Promise<void>;
}

interface Instructions {
  readonly action?: unknown;
  readonly retryAfterSeconds?: unknown;
  readonly image?: { readonly url?: unknown; readonly checksum?: unknown; readonly checksumType?: unknown };
  readonly configDrive?: { readonly userData?: unknown; readonly metaData?: unknown };
  readonly rootDeviceHints?: RootDeviceHints;
}

/** docs/agent-protocol.md § Transport: 0.5 s doubling to 8 s. */
const nextBackoff = (ms: number): number => Math.min(ms * 2, 8_000);
const RESULT_ATTEMPTS = 30;
const REFUSALS_BEFORE_GIVING_UP = 3;
const REQUEST_TIMEOUT_MS = 10_000;

export async function runAgentSession(o: AgentSessionOptions): Promise<SessionEnd> {
  const base = o.api.replace(/\/+$/, "");
  const now = Date.now;
  const call = (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`${base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${o.token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.any([o.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
    });
  const pause = (ms: number): Promise<boolean> =>
    sleep(ms, undefined, { signal: o.signal }).then(
      () => true,
      () => false,
    );

  /** POSTs until a 2xx, the protocol's 30 attempts at most. */
  const post = async (path: string, body: unknown, attempts: number): Promise<boolean> => {
    let backoff = 500;
    for (let i = 0; i < attempts && !o.signal.aborted; i++) {
      try {
        const res = await call("POST", path, body);
        await res.arrayBuffer();
        if (res.ok) return true;
      } catch {
        /* manager away (restarting): try again */
      }
      if (!(await pause(backoff))) return false;
      backoff = nextBackoff(backoff);
    }
    return false;
  };
  const result = async (action: string, ok: boolean, extra: Record<string, unknown>): Promise<void> => {
    const delivered = await post("/result", { action, ok, ...extra }, RESULT_ATTEMPTS);
    const code = (extra.error as { code?: string } | undefined)?.code;
    o.onEvent({ at: now(), mac: o.mac, kind: "result", action, ok, delivered, ...(code ? { code } : {}) });
  };

  let backoff = 500;
  let refusals = 0;
  while (!o.signal.aborted) {
    let ins: Instructions;
    try {
      const res = await call("GET", "/instructions");
      if (res.status === 401 || res.status === 403) {
        await res.arrayBuffer();
        if (++refusals >= REFUSALS_BEFORE_GIVING_UP) return end("unauthorized");
        throw new Error(`HTTP ${res.status}`);
      }
      if (res.status !== 200) {
        await res.arrayBuffer();
        throw new Error(`HTTP ${res.status}`);
      }
      ins = (await res.json()) as Instructions;
    } catch {
      if (!(await pause(backoff))) break;
      backoff = nextBackoff(backoff);
      continue;
    }
    backoff = 500;
    refusals = 0;
    const action = typeof ins.action === "string" ? ins.action : "?";
    if (action !== "wait") o.onEvent({ at: now(), mac: o.mac, kind: "instruction", action });
    switch (action) {
      case "wait": {
        const s = typeof ins.retryAfterSeconds === "number" && ins.retryAfterSeconds > 0 ? ins.retryAfterSeconds : 1;
        if (!(await pause(Math.min(s, 30) * 1000))) return end("stopped");
        break;
      }
      case "inspect": {
        const hw: HardwareDetails = simulatedHardware(o.mac, o.ip);
        const ok = await post("/inventory", { hardware: hw }, RESULT_ATTEMPTS);
        o.onEvent({ at: now(), mac: o.mac, kind: "inventory", ok });
        await result("inspect", ok, ok ? {} : { error: { code: "INVENTORY_REJECTED", message: "the manager did not accept /inventory" } });
        break;
      }
      case "deploy":
        await deploy(ins, o, call, pause, result);
        break;
      case "wipe":
        await post("/progress", { action: "wipe", phase: "done", bytesWritten: 1, bytesTotal: 1 }, 1);
        await result("wipe", true, { wiped: ["/dev/sda"] });
        break;
      case "poweroff":
        await o.powerOff();
        return end("poweroff");
      default:
        if (!(await pause(1000))) return end("stopped");
    }
  }
  return end("stopped");

  function end(why: SessionEnd): SessionEnd {
    o.onEvent({ at: now(), mac: o.mac, kind: "session-end", why });
    return why;
  }
}

const DIGESTS: Readonly<Record<string, string>> = { md5: "md5", sha256: "sha256", sha512: "sha512" };

async function deploy(
  ins: Instructions,
  o: AgentSessionOptions,
  call: (method: string, path: string, body?: unknown) => Promise<Response>,
  pause: (ms: number) => Promise<boolean>,
  result: (action: string, ok: boolean, extra: Record<string, unknown>) => Promise<void>,
): Promise<void> {
  const url = typeof ins.image?.url === "string" ? ins.image.url : "";
  const userData = typeof ins.configDrive?.userData === "string" ? ins.configDrive.userData : undefined;
  const metaData = typeof ins.configDrive?.metaData === "object" && ins.configDrive.metaData !== null ? (ins.configDrive.metaData as Record<string, unknown>) : undefined;
  const fail = async (code: string, message: string): Promise<void> => {
    o.onDeploy({ at: Date.now(), mac: o.mac, imageUrl: url, ok: false, code, userData, metaData });
    await result("deploy", false, { rootDevice: "/dev/sda", error: { code, message } });
  };
  // The root device first, as ramdisk/agent (deploy.go, hints.go) does: the simulated disks against the hints.
  const disks = simulatedHardware(o.mac, o.ip).storage ?? [];
  if (ins.rootDeviceHints !== undefined && !disks.some((d) => hintsMatch(ins.rootDeviceHints!, d))) {
    return fail("NO_ROOT_DEVICE", `no disk among ${disks.length} matches the root device hints`);
  }
  const algo = DIGESTS[typeof ins.image?.checksumType === "string" ? ins.image.checksumType : "sha256"];
  if (url === "" || typeof ins.image?.checksum !== "string" || algo === undefined) return fail("BAD_INSTRUCTIONS", "image.url, checksum and a known checksumType are needed");
  let body: Buffer;
  try {
    const res = await fetch(url, { signal: AbortSignal.any([o.signal, AbortSignal.timeout(60_000)]) });
    if (res.status !== 200) return fail("IMAGE_FETCH_FAILED", `image: HTTP ${res.status}`);
    body = Buffer.from(await res.arrayBuffer());
  } catch {
    if (o.signal.aborted) return;
    return fail("IMAGE_FETCH_FAILED", "image: transport error");
  }
  const steps = o.progressSteps ?? 3;
  for (let i = 1; i <= steps; i++) {
    const written = Math.round((body.length * i) / steps);
    try {
      const res = await call("POST", "/progress", { action: "deploy", phase: "writing", device: "/dev/sda", bytesWritten: written, bytesTotal: body.length, bytesDownloaded: written, bytesDownloadTotal: body.length });
      await res.arrayBuffer();
    } catch {
      /* progress is best effort, as in ramdisk/agent */
    }
    o.onEvent({ at: Date.now(), mac: o.mac, kind: "progress", phase: "writing", bytesWritten: written });
    if (!(await pause(o.progressStepMs ?? 500))) return;
  }
  const digest = createHash(algo).update(body).digest("hex");
  if (digest !== ins.image.checksum.toLowerCase()) return fail("CHECKSUM_MISMATCH", `${algo} digest of the image differs from the one given`);
  o.onDeploy({ at: Date.now(), mac: o.mac, imageUrl: url, ok: true, userData, metaData });
  await result("deploy", true, { rootDevice: "/dev/sda" });
}

type SimDisk = NonNullable<HardwareDetails["storage"]>[number];

/** Metal3 RootDeviceHints: every given hint must hold; model and vendor are substrings (ramdisk/agent/hints.go). */
export function hintsMatch(h: RootDeviceHints, d: SimDisk): boolean {
  const same = (a: string | undefined, b: string | undefined): boolean => a === undefined || a.trim().toLowerCase() === (b ?? "").trim().toLowerCase();
  const within = (a: string | undefined, b: string | undefined): boolean => a === undefined || (b ?? "").toLowerCase().includes(a.toLowerCase());
  return (
    (h.deviceName === undefined || h.deviceName === d.name || `/dev/${h.deviceName}` === d.name) &&
    (h.hctl === undefined || h.hctl === d.hctl) &&
    within(h.model, d.model) &&
    within(h.vendor, d.vendor) &&
    same(h.serialNumber, d.serialNumber) &&
    (h.minSizeGigabytes === undefined || (d.sizeBytes ?? 0) >= h.minSizeGigabytes * 2 ** 30) &&
    same(h.wwn, d.wwn) &&
    same(h.wwnWithExtension, d.wwnWithExtension) &&
    same(h.wwnVendorExtension, d.wwnVendorExtension) &&
    (h.rotational === undefined || h.rotational === d.rotational)
  );
}
