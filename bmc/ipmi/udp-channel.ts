/**
 * One connected UDP socket to one BMC, with request/response exchanges that
 * retransmit on silence. RMCP over UDP has no delivery guarantee and IPMI
 * leaves retries to the remote console; a retransmitted request keeps its
 * rqSeq so the BMC can recognise the duplicate (IPMI v2.0 §13.8). Packets
 * that do not decode are counted and dropped, never allowed to end an
 * exchange early.
 */
import dgram from "node:dgram";
import { lookup } from "node:dns/promises";
import net from "node:net";
import { BmcError, BmcErrorCode } from "../errors.js";
import { IpmiDecodeError } from "./decode-error.js";

export interface RetryPolicy {
  /** Sends of one request before giving up. @default 4 */
  readonly attempts: number;
  /** Wait for the first answer; doubles per retransmission. @default 1000 */
  readonly initialTimeoutMs: number;
  /** @default 4000 */
  readonly maxTimeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, initialTimeoutMs: 1000, maxTimeoutMs: 4000 };

export interface ChannelStats {
  sent: number;
  retransmits: number;
  /** Datagrams that were not the protocol (bad framing, checksum, AuthCode, padding). */
  dropped: number;
  /** Valid datagrams that answered nothing we were waiting for (late duplicates). */
  stale: number;
}

export interface ExchangeOptions {
  readonly what: string;
  readonly policy: RetryPolicy;
  readonly signal?: AbortSignal;
}

/**
 * Decides about one incoming datagram: a value ends the exchange, `undefined`
 * ignores the datagram, an IpmiDecodeError drops it, any other error ends
 * the exchange with that error.
 */
export type Acceptor<T> = (datagram: Buffer) => T | undefined;

interface Pending {
  onMessage(msg: Buffer): void;
  onError(err: Error): void;
}

export class UdpChannel {
  readonly stats: ChannelStats = { sent: 0, retransmits: 0, dropped: 0, stale: 0 };
  private socket: dgram.Socket | undefined;
  private connecting: Promise<dgram.Socket> | undefined;
  private pending: Pending | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    /** Safe-to-log name of the BMC for error messages. */
    private readonly where: string,
  ) {}

  private async connect(): Promise<dgram.Socket> {
    if (this.socket) return this.socket;
    this.connecting ??= (async () => {
      const family = net.isIP(this.host) || (await lookup(this.host).catch((err: unknown) => {
        throw new BmcError(BmcErrorCode.Unreachable, `IPMI ${this.where}: cannot resolve host`, { cause: err });
      })).family;
      const socket = dgram.createSocket(family === 6 ? "udp6" : "udp4");
      socket.on("message", (msg) => this.pending?.onMessage(msg));
      // On a connected socket an ICMP port unreachable surfaces as ECONNREFUSED.
      socket.on("error", (err) => this.pending?.onError(err));
      await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.connect(this.port, this.host, () => {
          socket.off("error", reject);
          resolve();
        });
      }).catch((err: unknown) => {
        socket.close();
        throw new BmcError(BmcErrorCode.Unreachable, `IPMI ${this.where}: cannot reach the BMC`, { cause: err });
      });
      this.socket = socket;
      return socket;
    })();
    try {
      return await this.connecting;
    } finally {
      this.connecting = undefined;
    }
  }

  /** Sends `build(attempt)` until `accept` returns a value, retransmitting with doubling timeouts. */
  async exchange<T>(build: (attempt: number) => Buffer, accept: Acceptor<T>, o: ExchangeOptions): Promise<T> {
    const socket = await this.connect();
    if (this.pending) throw new Error("UdpChannel: one exchange at a time");
    o.signal?.throwIfAborted();
    let droppedHere = 0;
    let lastDrop = "";
    try {
      return await new Promise<T>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        let attempt = 0;
        const finish = (fn: () => void): void => {
          clearTimeout(timer);
          o.signal?.removeEventListener("abort", onAbort);
          this.pending = undefined;
          fn();
        };
        const onAbort = (): void => finish(() => reject(o.signal?.reason as Error));
        o.signal?.addEventListener("abort", onAbort, { once: true });
        this.pending = {
          onMessage: (msg) => {
            let value: T | undefined;
            try {
              value = accept(msg);
            } catch (err) {
              if (err instanceof IpmiDecodeError) {
                this.stats.dropped++;
                droppedHere++;
                lastDrop = err.message;
                return;
              }
              finish(() => reject(err instanceof Error ? err : new Error(String(err))));
              return;
            }
            if (value === undefined) this.stats.stale++;
            else finish(() => resolve(value));
          },
          onError: (err) => {
            const refused = (err as NodeJS.ErrnoException).code === "ECONNREFUSED";
            finish(() =>
              reject(
                new BmcError(
                  BmcErrorCode.Unreachable,
                  `IPMI ${this.where}: ${refused ? "port unreachable (nothing listens there)" : "socket error"} during ${o.what}`,
                  { cause: err, transient: true },
                ),
              ),
            );
          },
        };
        const send = (): void => {
          if (attempt >= o.policy.attempts) {
            const garbage = droppedHere > 0;
            finish(() =>
              reject(
                new BmcError(
                  garbage ? BmcErrorCode.ProtocolError : BmcErrorCode.Unreachable,
                  garbage
                    ? `IPMI ${this.where}: no valid answer to ${o.what} after ${attempt} sends; dropped ${droppedHere} malformed replies (last: ${lastDrop})`
                    : `IPMI ${this.where}: no answer to ${o.what} after ${attempt} sends`,
                  { transient: true },
                ),
              ),
            );
            return;
          }
          const packet = build(attempt);
          if (attempt > 0) this.stats.retransmits++;
          this.stats.sent++;
          socket.send(packet);
          const wait = Math.min(o.policy.initialTimeoutMs * 2 ** attempt, o.policy.maxTimeoutMs);
          attempt++;
          timer = setTimeout(send, wait);
        };
        send();
      });
    } finally {
      this.pending = undefined;
    }
  }

  /** Sends once without waiting (Close Session when the answer does not matter). */
  async sendOnly(packet: Buffer): Promise<void> {
    const socket = await this.connect();
    this.stats.sent++;
    await new Promise<void>((resolve) => socket.send(packet, () => resolve()));
  }

  close(): void {
    this.pending?.onError(new Error("channel closed"));
    this.socket?.close();
    this.socket = undefined;
  }
}
