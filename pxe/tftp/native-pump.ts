/**
 * Loads Anvil's native TFTP data pump (ADR 0028, pxe/tftp/native/tftp-pump.c),
 * built by scripts/build-native.sh into pxe/tftp/native/build/ (and copied
 * beside the compiled module into dist/ by `make build`). When it cannot be
 * loaded the server keeps the TypeScript engine (read-transfer.ts) and says why.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

export interface NativePumpStart {
  /** The address the request reached: the transfer's socket binds a fresh port there (RFC 1350 §4). */
  readonly localAddress: string;
  readonly peerAddress: string;
  readonly peerPort: number;
  /** The bytes, kept alive by the pump until the transfer ends... */
  readonly buffer?: Buffer;
  /** ...or a file descriptor read with pread(2), which the caller closes after onDone. */
  readonly fd?: number;
  readonly size: number;
  readonly blockSize: number;
  readonly windowSize: number;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly oackPatienceMs: number;
  /**
   * Microseconds the pump keeps polling without sleeping after a packet, while
   * this transfer runs (ADR 0029); 0 or absent: it sleeps at once. At most 1 s.
   */
  readonly busyPollMicros?: number;
  /** The encoded OACK when options were accepted (RFC 2347); absent sends block 1 at once. */
  readonly oack?: Buffer;
}

export interface NativePumpStats {
  readonly dataPacketsSent: number;
  readonly bytesSent: number;
  readonly retransmits: number;
  readonly malformedDropped: number;
}

declare const handleBrand: unique symbol;
export type NativeTransferHandle = { readonly [handleBrand]: true };

export interface NativePump {
  /**
   * Queues a transfer; the pump opens its socket. A socket that cannot be
   * bound or connected ends it "failed" through onDone, with the system
   * call's error as the detail. Throws (TFTP_PUMP_BAD_OPTION) on bad options.
   */
  start(opts: NativePumpStart, onDone: (outcome: string, detail: string, stats: NativePumpStats) => void): NativeTransferHandle;
  cancel(handle: NativeTransferHandle): void;
  awaitingOackAck(handle: NativeTransferHandle): boolean;
}

export const NATIVE_PUMP_PATH = fileURLToPath(new URL("./native/build/tftp-pump.node", import.meta.url));

let loaded: NativePump | Error | undefined;

/** The pump, or the reason it is unavailable (loaded once per process). */
export function loadNativePump(): NativePump | Error {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)(NATIVE_PUMP_PATH) as NativePump;
    } catch (err) {
      loaded = new Error(`cannot load ${NATIVE_PUMP_PATH} (run scripts/build-native.sh): ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
    }
  }
  return loaded;
}
