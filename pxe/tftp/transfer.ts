/**
 * What the server needs of a running read transfer, whichever engine moves
 * its blocks: the TypeScript one (read-transfer.ts) or the native pump
 * (native-transfer.ts, ADR 0028). Both follow the same rules, cited where
 * they are implemented.
 */
export type TransferOutcome = "completed" | "aborted" | "timed-out" | "cancelled" | "failed";

/** `js`: read-transfer.ts on Node's dgram. `native`: the C pump (ADR 0028). `auto`: native when it loads, else js. */
export type TftpEngine = "auto" | "native" | "js";

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
