/**
 * One read transfer on its own UDP port (RFC 1350 §4: each side picks a
 * transfer identifier; the server's is this socket's port). Sends an OACK
 * when options were accepted (RFC 2347 §4), then windows of DATA blocks
 * (RFC 7440), retransmitting on timeout with a bounded retry budget.
 */
import type { Socket, RemoteInfo } from "node:dgram";
import type { BlockSource } from "./block-source.js";
import { ackedBlock, blockCount } from "./block-window.js";
import type { TftpMetrics } from "./metrics.js";
import type { TransferParams } from "./options.js";
import { decodePacket, encodeData, encodeError, encodeOack, Opcode, TftpErrorCode } from "./packet.js";

const MAX_BACKOFF_MS = 10_000;

export type TransferOutcome = "completed" | "aborted" | "timed-out" | "cancelled" | "failed";

export interface ReadTransferOptions {
  readonly socket: Socket;
  readonly peer: { readonly address: string; readonly port: number };
  readonly filename: string;
  readonly source: BlockSource;
  readonly params: TransferParams;
  readonly oack: ReadonlyMap<string, string>;
  /** Retransmissions of one window (or OACK) before giving up. */
  readonly maxRetries: number;
  readonly metrics: TftpMetrics;
  readonly onDone: (outcome: TransferOutcome, detail?: string) => void;
}

export class ReadTransfer {
  readonly filename: string;
  readonly peer: { readonly address: string; readonly port: number };
  private readonly lastBlock: number;
  /** Highest block the client acknowledged; the OACK counts as block 0 (RFC 2347 §4). */
  private acked = 0;
  /** Highest block sent so far. */
  private sent = 0;
  /** Next block the pump sends. */
  private next = 1;
  private awaitingOackAck: boolean;
  private retries = 0;
  private timer: NodeJS.Timeout | undefined;
  private pumping = false;
  private finished = false;
  /** Encoded DATA packets of the unacknowledged window, kept for retransmission. */
  private readonly inFlight = new Map<number, Buffer>();

  constructor(private readonly opts: ReadTransferOptions) {
    this.filename = opts.filename;
    this.peer = opts.peer;
    this.lastBlock = blockCount(opts.source.size, opts.params.blockSize);
    this.awaitingOackAck = opts.oack.size > 0;
    opts.socket.on("message", (msg, rinfo) => this.onMessage(msg, rinfo));
    opts.socket.on("error", (err) => this.finish("failed", err.message));
  }

  get waitingForOackAck(): boolean {
    return this.awaitingOackAck;
  }

  get negotiatedTsize(): boolean {
    return this.opts.oack.has("tsize");
  }

  start(): void {
    if (this.awaitingOackAck) this.sendOack();
    else this.pump();
  }

  /** Ends the transfer without telling the client (a newer request replaced it, or shutdown). */
  cancel(detail: string): void {
    this.finish("cancelled", detail);
  }

  private send(buf: Buffer): void {
    this.opts.socket.send(buf, this.peer.port, this.peer.address);
  }

  private sendOack(): void {
    this.send(encodeOack(this.opts.oack));
    this.arm();
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.finished) return;
    if (rinfo.address !== this.peer.address || rinfo.port !== this.peer.port) {
      // RFC 1350 §4: a packet from a wrong TID gets ERROR 5 sent to its source; the transfer goes on.
      this.opts.metrics.unknownTidPackets++;
      this.opts.socket.send(encodeError(TftpErrorCode.UnknownTransferId, "Unknown transfer ID"), rinfo.port, rinfo.address);
      return;
    }
    const decoded = decodePacket(msg);
    if (!decoded.ok) {
      this.opts.metrics.malformedDropped++;
      return;
    }
    const p = decoded.packet;
    if (p.op === Opcode.ERROR) {
      // RFC 2347 §4 / RFC 1350 §7: the client ends the transfer (EDK2 does so right after the OACK).
      this.finish("aborted", `client error ${p.code}`);
      return;
    }
    if (p.op !== Opcode.ACK) {
      this.opts.metrics.malformedDropped++;
      return;
    }
    this.onAck(p.block);
  }

  private onAck(wire: number): void {
    if (this.awaitingOackAck) {
      // RFC 2347 §4: the client acknowledges the OACK with ACK 0.
      if (wire !== 0) return;
      this.awaitingOackAck = false;
      this.retries = 0;
      this.pump();
      return;
    }
    const block = ackedBlock(wire, this.acked, this.sent);
    if (block === undefined) return;
    if (block === this.acked) {
      // RFC 1123 §4.2.3.1: in lock-step a duplicate ACK must not trigger a resend (Sorcerer's Apprentice).
      // RFC 7440 §4: with a window it means the block after it was lost: resend from there.
      if (this.opts.params.windowSize === 1) return;
      this.opts.metrics.retransmits++;
    }
    for (let b = this.acked + 1; b <= block; b++) this.inFlight.delete(b);
    if (block > this.acked) this.retries = 0;
    this.acked = block;
    if (this.acked >= this.lastBlock) {
      this.finish("completed");
      return;
    }
    this.next = this.acked + 1;
    this.pump();
  }

  /**
   * RFC 1123 §4.2.3.2: TFTP must back off exponentially. Some clients (atftp)
   * answer duplicates with one ACK, then ignore them until their own 5 s
   * timer fires, and every duplicate restarts that timer: our interval has to
   * grow past the clients' 5-6 s timeouts or a lost ACK is never repeated.
   */
  private arm(): void {
    clearTimeout(this.timer);
    const base = this.opts.params.timeoutMs;
    const interval = Math.min(base * 2 ** this.retries, Math.max(base, MAX_BACKOFF_MS));
    this.timer = setTimeout(() => this.onTimeout(), interval);
  }

  private onTimeout(): void {
    if (this.finished) return;
    if (++this.retries > this.opts.maxRetries) {
      this.finish("timed-out", `no ACK after ${this.opts.maxRetries} retries`);
      return;
    }
    this.opts.metrics.retransmits++;
    if (this.awaitingOackAck) {
      this.sendOack();
      return;
    }
    this.next = this.acked + 1;
    this.pump();
  }

  /** Sends blocks from `next` to the end of the current window; one pump runs at a time. */
  private pump(): void {
    if (this.pumping || this.finished) return;
    this.pumping = true;
    this.pumpLoop().then(
      () => {
        this.pumping = false;
      },
      (err: unknown) => {
        this.pumping = false;
        this.finish("failed", err instanceof Error ? err.message : String(err));
      },
    );
  }

  private async pumpLoop(): Promise<void> {
    const { blockSize, windowSize } = this.opts.params;
    let sentSome = false;
    while (!this.finished && this.next <= Math.min(this.acked + windowSize, this.lastBlock)) {
      const block = this.next;
      let pkt = this.inFlight.get(block);
      if (pkt === undefined) {
        const offset = (block - 1) * blockSize;
        // The hot path stays synchronous while the bytes are in memory.
        const data = this.opts.source.peek(offset, blockSize) ?? (await this.opts.source.read(offset, blockSize));
        if (this.finished) return;
        if (block <= this.acked) continue;
        pkt = encodeData(block, data);
        this.inFlight.set(block, pkt);
      }
      if (this.next !== block) continue;
      this.send(pkt);
      this.opts.metrics.dataPacketsSent++;
      this.opts.metrics.bytesSent += pkt.length - 4;
      if (block > this.sent) this.sent = block;
      this.next = block + 1;
      sentSome = true;
    }
    if (sentSome) this.arm();
  }

  private finish(outcome: TransferOutcome, detail?: string): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    this.inFlight.clear();
    const close = (): void => {
      try {
        this.opts.socket.close();
      } catch {
        /* already closed */
      }
    };
    if (outcome === "timed-out" || outcome === "failed") {
      // dgram sends are asynchronous (address lookup): close only once the last word is out.
      try {
        this.opts.socket.send(encodeError(TftpErrorCode.NotDefined, outcome === "timed-out" ? "Transfer timed out" : "Read error"), this.peer.port, this.peer.address, close);
      } catch {
        close();
      }
    } else {
      close();
    }
    this.opts.source.close().catch(() => undefined);
    this.opts.onDone(outcome, detail);
  }
}
