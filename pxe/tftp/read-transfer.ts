/**
 * One read transfer on its own UDP port (RFC 1350 §4: each side picks a
 * transfer identifier; the server's is this socket's port). The socket is
 * connected to the client's TID (ADR 0020): the kernel then delivers only the
 * client's packets and every send skips the per-call address handling. Sends an OACK
 * when options were accepted (RFC 2347 §4), then windows of DATA blocks
 * (RFC 7440), retransmitting on timeout with a bounded retry budget.
 */
import type { Socket } from "node:dgram";
import { ackedBlock, blockCount } from "./block-window.js";
import { dataHeader, decodePacket, encodeError, encodeOack, Opcode, TftpErrorCode } from "./packet.js";
import type { TftpTransfer, TransferOutcome, TransferSetup } from "./transfer.js";

const MAX_BACKOFF_MS = 10_000;

export interface ReadTransferOptions extends TransferSetup {
  /** Bound and connected to `peer` before `start()` (ADR 0020). */
  readonly socket: Socket;
}

export class ReadTransfer implements TftpTransfer {
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
  private timerInterval = 0;
  /** A block's bytes are being read from disk; the pump resumes when they arrive. */
  private reading = false;
  private finished = false;
  /** Payloads of the unacknowledged window (views of the source's memory), kept for retransmission. */
  private readonly inFlight = new Map<number, Buffer>();

  constructor(private readonly opts: ReadTransferOptions) {
    this.filename = opts.filename;
    this.peer = opts.peer;
    this.lastBlock = blockCount(opts.source.size, opts.params.blockSize);
    this.awaitingOackAck = opts.oack.size > 0;
    opts.socket.on("message", (msg) => this.onMessage(msg));
    opts.socket.on("error", (err: NodeJS.ErrnoException) => {
      // A connected UDP socket reports the client's ICMP port unreachable as ECONNREFUSED: the client is gone.
      if (err.code === "ECONNREFUSED") this.finish("aborted", "client port unreachable");
      else this.finish("failed", err.message);
    });
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

  /** Ends the transfer before it started (its socket could not be set up). */
  fail(detail: string): void {
    this.finish("failed", detail);
  }

  private send(buf: Buffer): void {
    this.opts.socket.send(buf);
  }

  private sendOack(): void {
    this.send(encodeOack(this.opts.oack));
    this.arm();
  }

  /**
   * Only the client's packets arrive here: the socket is connected to its TID,
   * so the kernel answers a stranger (RFC 1350 §4's wrong TID) with ICMP port
   * unreachable instead of our ERROR 5, and the transfer is never disturbed (ADR 0020).
   */
  private onMessage(msg: Buffer): void {
    if (this.finished) return;
    // The hot path, one per window: a well-formed ACK (RFC 1350 §5, exactly 4 bytes) skips the general decoder.
    if (msg.length === 4 && msg.readUInt16BE(0) === Opcode.ACK) {
      this.onAck(msg.readUInt16BE(2));
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
    const base = this.opts.params.timeoutMs;
    const backoff = Math.min(base * 2 ** this.retries, Math.max(base, MAX_BACKOFF_MS));
    const interval = this.awaitingOackAck ? Math.max(backoff, this.opts.oackPatienceMs) : backoff;
    // One timer per transfer, restarted in place: a window is sent per ACK, and a new timer object each time is measurable churn.
    if (this.timer !== undefined && this.timerInterval === interval) {
      this.timer.refresh();
      return;
    }
    clearTimeout(this.timer);
    this.timerInterval = interval;
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

  /**
   * Sends blocks from `next` to the end of the current window. Synchronous
   * while the bytes are in memory (the common case: cached iPXE binaries, the
   * current disk chunk); a block that must come from disk suspends the pump
   * until it arrives.
   */
  private pump(): void {
    if (this.reading || this.finished) return;
    const { blockSize, windowSize } = this.opts.params;
    let sentSome = false;
    while (this.next <= Math.min(this.acked + windowSize, this.lastBlock)) {
      const block = this.next;
      let data = this.inFlight.get(block);
      if (data === undefined) {
        data = this.opts.source.peek((block - 1) * blockSize, blockSize);
        if (data === undefined) {
          this.readThenPump(block);
          break;
        }
        this.inFlight.set(block, data);
      }
      this.sendData(block, data);
      sentSome = true;
    }
    if (sentSome) this.arm();
  }

  private readThenPump(block: number): void {
    const { blockSize } = this.opts.params;
    this.reading = true;
    this.opts.source.read((block - 1) * blockSize, blockSize).then(
      (data) => {
        this.reading = false;
        if (this.finished) return;
        if (block > this.acked) this.inFlight.set(block, data);
        this.pump();
      },
      (err: unknown) => {
        this.reading = false;
        this.finish("failed", err instanceof Error ? err.message : String(err));
      },
    );
  }

  /** One DATA packet, sent as header + a view of the payload (no copy of the block). */
  private sendData(block: number, data: Buffer): void {
    this.opts.socket.send([dataHeader(block), data]);
    this.opts.metrics.dataPacketsSent++;
    this.opts.metrics.bytesSent += data.length;
    if (block > this.sent) this.sent = block;
    this.next = block + 1;
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
      // Close only once the last word is out (a send the kernel could not take at once is queued).
      try {
        this.opts.socket.send(encodeError(TftpErrorCode.NotDefined, outcome === "timed-out" ? "Transfer timed out" : "Read error"), close);
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
