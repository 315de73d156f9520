/**
 * A read transfer whose blocks the native pump moves (ADR 0028): the same
 * state machine as read-transfer.ts (RFC 1350, 2347, 7440, RFC 1123
 * §4.2.3), in pxe/tftp/native/tftp-pump.c. The server has already decoded
 * the request, confined the path and negotiated the options; this hands the
 * pump the client's TID, the bytes (a Buffer or a file descriptor) and the
 * OACK, and hears back once, when the transfer ends. The metrics counters
 * of a transfer are added then, not per packet.
 */
import type { NativePump, NativePumpStats, NativeTransferHandle } from "./native-pump.js";
import { encodeOack } from "./packet.js";
import type { TftpTransfer, TransferOutcome, TransferSetup } from "./transfer.js";

export interface NativeTransferOptions extends TransferSetup {
  readonly pump: NativePump;
  /** Where the request arrived: the transfer's port is a fresh one on this address (RFC 1350 §4). */
  readonly localAddress: string;
  /** How long the pump keeps looking for packets before it sleeps (ADR 0029). */
  readonly busyPollMicros: number;
}

const OUTCOMES: ReadonlySet<string> = new Set<TransferOutcome>(["completed", "aborted", "timed-out", "cancelled", "failed"]);

export class NativeTransfer implements TftpTransfer {
  readonly filename: string;
  readonly peer: { readonly address: string; readonly port: number };
  private handle: NativeTransferHandle | undefined;
  private finished = false;
  private cancelDetail: string | undefined;

  constructor(private readonly opts: NativeTransferOptions) {
    this.filename = opts.filename;
    this.peer = opts.peer;
  }

  get waitingForOackAck(): boolean {
    return this.handle !== undefined && !this.finished && this.opts.pump.awaitingOackAck(this.handle);
  }

  get negotiatedTsize(): boolean {
    return this.opts.oack.has("tsize");
  }

  start(): void {
    if (this.finished || this.handle !== undefined) return;
    const { params, source } = this.opts;
    const backing = source.backing();
    try {
      this.handle = this.opts.pump.start(
        {
          localAddress: this.opts.localAddress,
          peerAddress: this.peer.address,
          peerPort: this.peer.port,
          ...backing,
          size: source.size,
          blockSize: params.blockSize,
          windowSize: params.windowSize,
          timeoutMs: params.timeoutMs,
          maxRetries: this.opts.maxRetries,
          oackPatienceMs: this.opts.oackPatienceMs,
          busyPollMicros: this.opts.busyPollMicros,
          ...(this.opts.oack.size > 0 ? { oack: encodeOack(this.opts.oack) } : {}),
        },
        (outcome, detail, stats) => this.onPumpDone(outcome, detail, stats),
      );
    } catch (err) {
      this.finish("failed", err instanceof Error ? err.message : String(err));
    }
  }

  cancel(detail: string): void {
    if (this.finished) return;
    if (this.handle === undefined) {
      this.finish("cancelled", detail);
      return;
    }
    // The pump ends it on its thread and reports back; the detail is ours.
    this.cancelDetail ??= detail;
    this.opts.pump.cancel(this.handle);
  }

  fail(detail: string): void {
    if (this.handle === undefined) this.finish("failed", detail);
  }

  private onPumpDone(outcome: string, detail: string, stats: NativePumpStats): void {
    const m = this.opts.metrics;
    m.dataPacketsSent += stats.dataPacketsSent;
    m.bytesSent += stats.bytesSent;
    m.retransmits += stats.retransmits;
    m.malformedDropped += stats.malformedDropped;
    const known = OUTCOMES.has(outcome) ? (outcome as TransferOutcome) : "failed";
    this.finish(known, known === "cancelled" ? this.cancelDetail : detail === "" ? undefined : detail);
  }

  private finish(outcome: TransferOutcome, detail?: string): void {
    if (this.finished) return;
    this.finished = true;
    this.opts.source.close().catch(() => undefined);
    this.opts.onDone(outcome, detail);
  }
}
