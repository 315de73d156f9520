/**
 * What the server needs of a running read transfer, whichever engine moves
 * its blocks: the TypeScript one (read-transfer.ts) or the native pump
 * (native-transfer.ts, ADR 0028). Both follow the same rules, cited where
 * they are implemented.
 */
import type { BlockSource } from "./block-source.js";
import type { TftpMetrics } from "./metrics.js";
import type { TransferParams } from "./options.js";

export type TransferOutcome = "completed" | "aborted" | "timed-out" | "cancelled" | "failed";

/** `js`: read-transfer.ts on Node's dgram. `native`: the C pump (ADR 0028). `auto`: native when it loads, else js. */
export type TftpEngine = "auto" | "native" | "js";

/**
 * The TFTP server's transfer defaults, which are also the config file's
 * (pxe/config.ts reads them): one place for each number.
 */
export const TRANSFER_DEFAULTS = {
  /** RFC 2348 ceiling that fits a 1500-byte MTU: 1500 - 20 IP - 8 UDP - 4 TFTP. */
  maxBlockSize: 1468,
  /** RFC 7440 ceiling. */
  maxWindowSize: 64,
  /** Retransmission interval unless the client negotiates `timeout` (RFC 2349). */
  timeoutMs: 1000,
  maxRetries: 5,
  /** Linux suggests net.core.busy_poll = 50 µs for several sockets (Documentation/admin-guide/sysctl/net.rst); ADR 0029. */
  busyPollMicros: 50,
} as const;

export interface TftpTransfer {
  readonly filename: string;
  readonly peer: { readonly address: string; readonly port: number };
  /** The OACK went out and its ACK 0 has not come back (RFC 2347 §4). */
  readonly waitingForOackAck: boolean;
  readonly negotiatedTsize: boolean;
  start(): void;
  /** Ends the transfer without telling the client (a newer request replaced it, or shutdown). */
  cancel(detail: string): void;
  /** Ends the transfer before it started (its socket could not be set up). */
  fail(detail: string): void;
}

/** What the server decided for a transfer, handed to either engine. */
export interface TransferSetup {
  readonly peer: { readonly address: string; readonly port: number };
  readonly filename: string;
  readonly source: BlockSource;
  readonly params: TransferParams;
  readonly oack: ReadonlyMap<string, string>;
  /** Retransmissions of one window (or OACK) before giving up. */
  readonly maxRetries: number;
  /**
   * Least wait before the OACK is sent again. Clients repeat their own ACK 0
   * (or RRQ) on their timer, and atftp aborts a transfer on a second OACK, so
   * the server repeats it only after the clients' usual 5 s timer had its turn.
   */
  readonly oackPatienceMs: number;
  readonly metrics: TftpMetrics;
  readonly onDone: (outcome: TransferOutcome, detail?: string) => void;
}
