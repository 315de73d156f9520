/**
 * The TFTP server: a listening socket whose loop only decodes requests and
 * hands them on. Read requests start a transfer on a fresh port (RFC 1350
 * §4), its blocks moved by the native pump (ADR 0028) or by
 * read-transfer.ts; write requests are refused (RFC 1350 §5 error 2, Anvil serves files
 * and never stores them); anything else on the listening port is dropped and
 * counted.
 */
import dgram, { type RemoteInfo, type Socket } from "node:dgram";
import { once } from "node:events";
import { SourceCache, BufferSource, toNetascii, type BlockSource } from "./block-source.js";
import { FileResolver, type FileResolverOptions, type ResolvedFile } from "./file-resolver.js";
import { newTftpMetrics, type TftpMetrics } from "./metrics.js";
import { negotiate, type NegotiationLimits } from "./options.js";
import { decodePacket, encodeError, Opcode, TftpErrorCode, type RequestPacket } from "./packet.js";
import { ReadTransfer } from "./read-transfer.js";
import { NativeTransfer } from "./native-transfer.js";
import { loadNativePump, type NativePump } from "./native-pump.js";
import { TRANSFER_DEFAULTS, type TftpEngine, type TftpTransfer, type TransferOutcome } from "./transfer.js";
import { TftpServerError } from "./errors.js";

export type TftpLogEvent =
  | { readonly event: "transfer-start"; readonly client: string; readonly file: string; readonly options: Record<string, string> }
  /** One per transfer, when it ends: with the options it negotiated, an access-log line (dnsmasq logs each transfer once, when sent). */
  | { readonly event: "transfer-end"; readonly client: string; readonly file: string; readonly options: Record<string, string>; readonly outcome: TransferOutcome; readonly detail?: string; readonly ms: number }
  | { readonly event: "request-refused"; readonly client: string; readonly file: string; readonly reason: string };

export interface TftpServerOptions extends FileResolverOptions {
  /** Address to bind. @default "0.0.0.0" */
  readonly address?: string;
  /** @default 69 (RFC 1350 §4) */
  readonly port?: number;
  readonly limits?: Partial<NegotiationLimits>;
  /** Retransmissions of one window before a transfer is abandoned. @default 5 */
  readonly maxRetries?: number;
  /**
   * Least wait before an unacknowledged OACK is repeated. atftp ends a transfer
   * when a second OACK arrives (its tftp_file.c counts them), and every client
   * we test against repeats its ACK 0 or RRQ on its own timer (atftp's is
   * 5 s), so repeating the OACK sooner can only harm.
   * @default 6000
   */
  readonly oackPatienceMs?: number;
  /** Concurrent transfers; further requests get ERROR 0 "Server busy". @default 1024 */
  readonly maxTransfers?: number;
  /** Files up to this size are kept in memory. @default 4 MiB */
  readonly cacheMaxFileBytes?: number;
  /**
   * Native engine only: microseconds the pump keeps polling after a packet
   * before it sleeps (ADR 0029). 0 turns busy polling off. @default 50
   */
  readonly busyPollMicros?: number;
  /** Which engine moves the blocks (ADR 0028). `native` fails `listen()` when the pump cannot load. @default "auto" */
  readonly engine?: TftpEngine;
  readonly log?: (e: TftpLogEvent) => void;
}

const DEFAULT_LIMITS: NegotiationLimits = { maxBlockSize: TRANSFER_DEFAULTS.maxBlockSize, maxWindowSize: TRANSFER_DEFAULTS.maxWindowSize, defaultTimeoutMs: TRANSFER_DEFAULTS.timeoutMs };
/** netascii needs a converted copy of the file; keep that to small files. */
const NETASCII_MAX_BYTES = 16 * 1024 * 1024;

export class TftpServer {
  readonly metrics: TftpMetrics = newTftpMetrics();
  private socket: Socket | undefined;
  /** The listening socket's address, asked once: each transfer's port is bound there (getsockname(2) per request cost ~11 µs). */
  private localAddress = "0.0.0.0";
  /** The engine in use, and why when `auto` fell back to `js`. */
  readonly engine: { readonly name: "native" | "js"; readonly fallbackReason?: string };
  private readonly pump: NativePump | undefined;
  private readonly transfers = new Map<string, TftpTransfer>();
  private readonly resolver: FileResolver;
  private readonly cache: SourceCache;
  private readonly limits: NegotiationLimits;
  private readonly pumpError: Error | undefined;

  constructor(private readonly opts: TftpServerOptions) {
    this.resolver = new FileResolver(opts);
    this.cache = new SourceCache({ maxFileBytes: opts.cacheMaxFileBytes });
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    const wanted = opts.engine ?? "auto";
    const pump = wanted === "js" ? undefined : loadNativePump();
    if (pump instanceof Error) {
      this.pumpError = wanted === "native" ? pump : undefined;
      this.engine = { name: "js", fallbackReason: pump.message };
    } else {
      this.pump = pump;
      this.engine = { name: pump ? "native" : "js" };
    }
  }

  /** Binds the listening socket; resolves with the bound address. */
  async listen(): Promise<{ address: string; port: number }> {
    if (this.socket) throw new TftpServerError("TFTP_ALREADY_LISTENING", "the TFTP server is already listening");
    if (this.pumpError) throw new TftpServerError("TFTP_NATIVE_UNAVAILABLE", `engine "native" was asked for: ${this.pumpError.message}`);
    const socket = dgram.createSocket({ type: "udp4" });
    socket.on("message", (msg, rinfo) => this.onMessage(msg, rinfo));
    const bound = once(socket, "listening");
    socket.bind(this.opts.port ?? 69, this.opts.address ?? "0.0.0.0");
    try {
      // events.once rejects with the socket's "error" event (EADDRINUSE, EACCES).
      await bound;
    } catch (err) {
      socket.close();
      throw new TftpServerError("TFTP_BIND_FAILED", `cannot bind TFTP ${this.opts.address ?? "0.0.0.0"}:${this.opts.port ?? 69}: ${(err as Error).message}`, { cause: err });
    }
    socket.removeAllListeners("error");
    // A listening socket survives ICMP-triggered errors; a transfer's own socket handles its own.
    socket.on("error", () => undefined);
    this.socket = socket;
    const { address, port } = socket.address();
    this.localAddress = address;
    return { address, port };
  }

  get activeTransfers(): number {
    return this.transfers.size;
  }

  async close(): Promise<void> {
    for (const t of [...this.transfers.values()]) t.cancel("server shutdown");
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    this.metrics.packetsReceived++;
    const decoded = decodePacket(msg);
    if (!decoded.ok || (decoded.packet.op !== Opcode.RRQ && decoded.packet.op !== Opcode.WRQ)) {
      this.metrics.malformedDropped++;
      return;
    }
    const req = decoded.packet;
    if (req.op === Opcode.WRQ) {
      this.metrics.writeRequestsRefused++;
      this.refuse(rinfo, req.filename, TftpErrorCode.AccessViolation, "Write requests are not accepted", "write-request");
      return;
    }
    this.metrics.readRequests++;
    try {
      this.startRead(req, rinfo);
    } catch (err) {
      // A fault in one request's handling answers that request; the listening socket keeps serving.
      this.refuse(rinfo, req.filename, TftpErrorCode.NotDefined, "Internal error", err instanceof Error ? err.message : String(err));
    }
  }

  private refuse(rinfo: RemoteInfo, file: string, code: TftpErrorCode, message: string, reason: string): void {
    this.metrics.requestsRefused++;
    this.socket?.send(encodeError(code, message), rinfo.port, rinfo.address);
    this.log({ event: "request-refused", client: `${rinfo.address}:${rinfo.port}`, file, reason });
  }

  /**
   * Checks a read request and starts its transfer. A file already in memory
   * starts in this event-loop turn, with no promise in between: in a boot
   * storm every request names the same few cached files, and each hop through
   * the microtask queue delayed every later request's OACK (ADR 0031).
   */
  private startRead(req: RequestPacket, rinfo: RemoteInfo): void {
    const key = `${rinfo.address}:${rinfo.port}`;
    // A retransmitted RRQ from the same TID: the running transfer retransmits on its own.
    if (this.transfers.has(key)) return;
    if (req.mode !== "octet" && req.mode !== "netascii") {
      // RFC 1350 §5: "mail" mode is obsolete; anything else is not a mode.
      this.refuse(rinfo, req.filename, TftpErrorCode.IllegalOperation, `Unsupported mode ${req.mode}`, "mode");
      return;
    }
    if (this.transfers.size >= (this.opts.maxTransfers ?? 1024)) {
      this.refuse(rinfo, req.filename, TftpErrorCode.NotDefined, "Server busy", "busy");
      return;
    }
    const file = this.resolver.resolve(req.filename);
    if (!file.ok) {
      this.refuse(rinfo, req.filename, file.code, file.message, file.reason);
      return;
    }
    if (req.mode === "netascii" && file.size > NETASCII_MAX_BYTES) {
      this.refuse(rinfo, req.filename, TftpErrorCode.NotDefined, "File too large for netascii, use octet", "netascii-size");
      return;
    }
    if (!req.options.has("tsize")) this.replacePendingFrom(rinfo.address, req.filename);
    const inMemory = req.mode === "octet" ? this.cache.cached(file) : undefined;
    if (inMemory) {
      this.begin(req, rinfo, key, inMemory);
      return;
    }
    this.openSource(req, file).then(
      (source) => {
        // The client asked again from the same TID while the file was read, or the server closed.
        if (this.transfers.has(key) || !this.socket) {
          source.close().catch(() => undefined);
          return;
        }
        this.begin(req, rinfo, key, source);
      },
      (err: unknown) => this.refuse(rinfo, req.filename, TftpErrorCode.NotDefined, "Internal error", err instanceof Error ? err.message : String(err)),
    );
  }

  /** The bytes of a file not in memory yet (read into the cache, or streamed from disk), or a netascii copy. */
  private async openSource(req: RequestPacket, file: ResolvedFile): Promise<BlockSource> {
    if (req.mode === "netascii") {
      const raw = await this.cache.open(file);
      const text = await raw.read(0, raw.size);
      await raw.close();
      return new BufferSource(toNetascii(text));
    }
    // A file streamed from disk is read in whole blocks of the size this request will get.
    return this.cache.open(file, negotiate(req.options, this.limits, undefined).params.blockSize);
  }

  /** Negotiates the options against the source's size and starts the transfer on its own port. */
  private begin(req: RequestPacket, rinfo: RemoteInfo, key: string, source: BlockSource): void {
    // RFC 2349 §4: tsize is what the client will receive (after any netascii conversion).
    const { params, oack } = negotiate(req.options, this.limits, source.size);
    const started = Date.now();
    const common = {
      peer: { address: rinfo.address, port: rinfo.port },
      filename: req.filename,
      source,
      params,
      oack,
      maxRetries: this.opts.maxRetries ?? TRANSFER_DEFAULTS.maxRetries,
      oackPatienceMs: this.opts.oackPatienceMs ?? 6000,
      metrics: this.metrics,
      onDone: (outcome: TransferOutcome, detail?: string) => {
        this.transfers.delete(key);
        this.metrics.transfersActive = this.transfers.size;
        this.count(outcome);
        this.log({ event: "transfer-end", client: key, file: req.filename, options: Object.fromEntries(oack), outcome, detail, ms: Date.now() - started });
      },
    };
    // RFC 1350 §4: the server's TID is a new port on the address the request reached,
    // connected to the client's TID (ADR 0020), as tftpd-hpa does.
    const localAddress = this.localAddress;
    if (this.pump) {
      this.track(key, new NativeTransfer({ ...common, pump: this.pump, localAddress, busyPollMicros: this.opts.busyPollMicros ?? TRANSFER_DEFAULTS.busyPollMicros }), oack).start();
      return;
    }
    const socket = dgram.createSocket({ type: "udp4" });
    const transfer = this.track(key, new ReadTransfer({ ...common, socket }), oack);
    socket.bind(0, localAddress, () => {
      socket.connect(rinfo.port, rinfo.address, (err?: Error) => {
        if (err) transfer.fail(`connect: ${err.message}`);
        else transfer.start();
      });
    });
  }

  private track<T extends TftpTransfer>(key: string, transfer: T, oack: ReadonlyMap<string, string>): T {
    this.transfers.set(key, transfer);
    this.metrics.transfersStarted++;
    this.metrics.transfersActive = this.transfers.size;
    this.log({ event: "transfer-start", client: key, file: transfer.filename, options: Object.fromEntries(oack) });
    return transfer;
  }

  /**
   * EDK2 asks with tsize, aborts right after the OACK (sometimes without
   * sending anything) and asks again without tsize from a new port: that
   * abandoned transfer, still waiting for its OACK's ACK, is dropped rather
   * than left to time out. Only this exact shape qualifies, so parallel
   * clients on one address asking the same file (curl --parallel) are untouched.
   */
  private replacePendingFrom(address: string, filename: string): void {
    for (const t of this.transfers.values()) {
      if (t.peer.address === address && t.filename === filename && t.waitingForOackAck && t.negotiatedTsize) t.cancel("replaced by a new request");
    }
  }

  /** A log sink that throws (a full disk under a synchronous writer) costs its line, never a transfer or the listening socket. */
  private log(e: TftpLogEvent): void {
    try {
      this.opts.log?.(e);
    } catch {
      this.metrics.logLinesLost++;
    }
  }

  private count(outcome: TransferOutcome): void {
    switch (outcome) {
      case "completed":
        this.metrics.transfersCompleted++;
        break;
      case "aborted":
      case "cancelled":
        this.metrics.transfersAborted++;
        break;
      case "timed-out":
      case "failed":
        this.metrics.transfersTimedOut++;
        break;
    }
  }
}
