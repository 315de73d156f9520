/**
 * The deploy agent's API as the boot service sees it (docs/agent-protocol.md):
 * pxe/http authenticates the agent (pxe/http/agent-auth.ts), parses and
 * checks its JSON, and hands typed messages to an `AgentBackend`. The
 * Kubernetes implementation lives with the host controller; the boot service
 * holds no host state of its own, so a restarted manager answers the next
 * call from the host's objects alone.
 *
 * Every method is idempotent from the agent's side: the agent retries a call
 * whose answer it did not receive, so a repeated result must not count twice.
 */
import type { HardwareDetails, RootDeviceHints } from "../api/index.js";
import type { BootRecord } from "./boot-backend.js";

export type AgentAction = "inspect" | "deploy" | "wipe";

export interface AgentImage {
  readonly url: string;
  readonly checksum?: string;
  readonly checksumUrl?: string;
  /** Metal3's values: md5, sha256, sha512. */
  readonly checksumType: string;
  /** raw, gzip; absent: the agent sniffs. */
  readonly format?: string;
}

export interface AgentConfigDrive {
  /** The bootstrap data, byte for byte; never logged. */
  readonly userData?: string | null;
  readonly metaData?: Readonly<Record<string, unknown>>;
  readonly networkData?: Readonly<Record<string, unknown>> | null;
}

/** The answer to `GET /instructions` (docs/agent-protocol.md § GET /instructions). */
export type AgentInstructions =
  /** `retryAfterSeconds` goes out as whole seconds ≥ 1, rounded up (the agent decodes a Go int). */
  | { readonly action: "wait"; readonly retryAfterSeconds?: number }
  | { readonly action: "inspect" }
  | { readonly action: "deploy"; readonly image: AgentImage; readonly rootDeviceHints?: RootDeviceHints; readonly configDrive?: AgentConfigDrive }
  | { readonly action: "wipe"; readonly cleaningMode: "metadata" | "disabled" }
  | { readonly action: "poweroff" };

/**
 * `POST /progress`; the wire's `bytesTotal` is `total` here and `bytesDownloadTotal`
 * is `downloadTotal` (null on the wire: unknown, absent here). For `wipe`,
 * `bytesWritten`/`total` count disks done / disks. Progress is advisory: the
 * agent does not retry a refused report.
 */
export interface AgentProgress {
  readonly action: AgentAction;
  readonly phase: string;
  readonly bytesWritten: number;
  readonly total?: number;
  readonly bytesDownloaded?: number;
  readonly downloadTotal?: number;
  readonly device?: string;
}

/** `POST /result`. `error.message` comes from the host: one short line, no secrets. */
export interface AgentResult {
  readonly action: AgentAction;
  readonly ok: boolean;
  readonly error?: { readonly code: string; readonly message: string };
  readonly rootDevice?: string;
  /** Absent when nothing was wiped (`cleaningMode: disabled`): the Go agent omits an empty list. */
  readonly wiped?: readonly string[];
}

/**
 * What the agent API asks of the host's owner. `record` is the authenticated host.
 * A rejected promise, or one not settled within the API's timeout (20 s by
 * default, below the agent's 30 s), is answered 503 with Retry-After and the
 * agent retries; the error's message goes to the log only, never to the
 * agent. `signal` aborts when the agent disconnects or that timeout passes.
 * Bodies are already checked: every field has its declared type, unknown
 * fields are dropped (pxe/http/agent-api-body.ts).
 */
export interface AgentBackend {
  instructions(record: BootRecord, signal?: AbortSignal): Promise<AgentInstructions>;
  /** Stores the inventory the agent posted; resolved once it is durable. */
  inventory(record: BootRecord, hardware: HardwareDetails, signal?: AbortSignal): Promise<void>;
  progress(record: BootRecord, progress: AgentProgress, signal?: AbortSignal): Promise<void>;
  /** Resolved once the result is durable: the agent stops retrying when it sees 2xx. */
  result(record: BootRecord, result: AgentResult, signal?: AbortSignal): Promise<void>;
}
