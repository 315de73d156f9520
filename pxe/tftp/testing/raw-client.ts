/**
 * A scriptable TFTP client for tests: sends exactly the packets a test asks
 * for and queues what comes back, so a test can replay firmware behaviour
 * (EDK2's abort after OACK), lose ACKs on purpose, or act as a stranger TID.
 * Real-client conformance is shown with tftp-hpa, atftp and curl instead.
 */
import dgram, { type RemoteInfo, type Socket } from "node:dgram";
import { once } from "node:events";
import { decodePacket, encodeAck, encodeRequest, Opcode, type TftpPacket } from "../packet.js";

export interface Received {
  readonly packet: TftpPacket | undefined;
  readonly raw: Buffer;
  readonly from: RemoteInfo;
}

export class RawTftpClient {
  private readonly queue: Received[] = [];
  private waiter: ((r: Received) => void) | undefined;

  private constructor(readonly socket: Socket) {
    socket.on("message", (raw, from) => {
      const d = decodePacket(raw);
      const r: Received = { packet: d.ok ? d.packet : undefined, raw, from };
      const w = this.waiter;
      if (w) {
        this.waiter = undefined;
        w(r);
      } else {
        this.queue.push(r);
      }
    });
  }

  static async open(address = "127.0.0.1"): Promise<RawTftpClient> {
    const s = dgram.createSocket("udp4");
    s.bind(0, address);
    await once(s, "listening");
    return new RawTftpClient(s);
  }

  get port(): number {
    return this.socket.address().port;
  }

  private pending: Promise<unknown>[] = [];

  send(buf: Buffer, port: number, address = "127.0.0.1"): void {
    this.pending.push(new Promise((resolve) => this.socket.send(buf, port, address, resolve)));
  }

  /** The next packet, or `undefined` after `timeoutMs` of silence. */
  next(timeoutMs = 2000): Promise<Received | undefined> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiter = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.waiter = (r) => {
        clearTimeout(t);
        resolve(r);
      };
    });
  }

  /** Closes once every queued send has left (dgram sends complete asynchronously). */
  async close(): Promise<void> {
    await Promise.all(this.pending);
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

export interface DownloadOptions {
  readonly options?: Record<string, string>;
  /** Return true to "lose" the ACK this client would send for `block` (an absolute block number). */
  readonly loseAck?: (block: number, attempt: number) => boolean;
  readonly timeoutMs?: number;
}

export interface DownloadResult {
  readonly data: Buffer;
  readonly oack: Record<string, string> | undefined;
  readonly serverPort: number;
  readonly duplicatesSeen: number;
}

/**
 * Downloads a file the way RFC 1350/2347/7440 describe a client: ACK 0 for an
 * OACK, an ACK at each window's end, an ACK of the last in-order block when
 * a gap appears, and a re-ACK on silence.
 */
export async function download(server: number, filename: string, opts: DownloadOptions = {}): Promise<DownloadResult> {
  const c = await RawTftpClient.open();
  try {
    const asked = new Map(Object.entries(opts.options ?? {}));
    c.send(encodeRequest(Opcode.RRQ, filename, "octet", asked), server);
    let blockSize = 512;
    let window = 1;
    let tid: number | undefined;
    let oack: Record<string, string> | undefined;
    const chunks: Buffer[] = [];
    let have = 0;
    let inWindow = 0;
    let duplicatesSeen = 0;
    const attempts = new Map<number, number>();
    const ack = (block: number): void => {
      const n = (attempts.get(block) ?? 0) + 1;
      attempts.set(block, n);
      if (opts.loseAck?.(block, n)) return;
      c.send(encodeAck(block), tid!);
    };
    for (;;) {
      const r = await c.next(opts.timeoutMs ?? 3000);
      if (!r) {
        if (tid === undefined) throw new Error("no answer to the RRQ");
        ack(have);
        continue;
      }
      tid ??= r.from.port;
      const p = r.packet;
      if (!p) throw new Error("server sent a malformed packet");
      if (p.op === Opcode.ERROR) throw new Error(`server error ${p.code}: ${p.message}`);
      if (p.op === Opcode.OACK) {
        oack = Object.fromEntries(p.options);
        blockSize = Number(p.options.get("blksize") ?? 512);
        window = Number(p.options.get("windowsize") ?? 1);
        ack(0);
        continue;
      }
      if (p.op !== Opcode.DATA) throw new Error(`unexpected opcode ${p.op}`);
      if (p.block !== ((have + 1) & 0xffff)) {
        duplicatesSeen++;
        // RFC 7440 §4: on a gap, acknowledge the last block received in order.
        if (window > 1 || p.block === (have & 0xffff)) ack(have);
        inWindow = 0;
        continue;
      }
      have++;
      chunks.push(Buffer.from(p.data));
      inWindow++;
      const last = p.data.length < blockSize;
      if (last || inWindow >= window) {
        inWindow = 0;
        ack(have);
      }
      if (last) break;
    }
    return { data: Buffer.concat(chunks), oack, serverPort: tid, duplicatesSeen };
  } finally {
    await c.close();
  }
}
