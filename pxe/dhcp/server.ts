/**
 * The DHCP packet loop: receive → decode → handler → encode → send. It holds
 * no policy; every datagram ends counted as answered, handled or dropped,
 * and nothing a datagram contains can throw out of the loop.
 */
import dgram from "node:dgram";
import { decodeDhcp } from "./decode.js";
import { encodeDhcp, replyLimit } from "./encode.js";
import { DhcpDecodeError } from "./errors.js";
import type { DhcpHandler, Outcome } from "./handler.js";
import { countDrop, newMetrics, type DhcpMetrics } from "./metrics.js";
import { MESSAGE_TYPE_NAMES, Opt, isMessageType } from "./options.js";
import type { DhcpPacket } from "./packet.js";

const RECV_BUFFER_BYTES = 4 * 1024 * 1024;

export interface DhcpServerOptions {
  /** Receives broadcasts: must be 0.0.0.0 on a real network (ADR 0004). */
  readonly listenAddress: string;
  /**
   * Anvil's own address. Replies leave from a socket bound to it, so Linux
   * routes even 255.255.255.255 out of the interface that owns it (ADR 0004).
   * Unset or equal to `listenAddress`: one socket does both.
   */
  readonly sendAddress?: string;
  /** Ports to listen on (67; plus 4011 in proxy mode). 0 picks a free port (tests). */
  readonly ports: readonly number[];
  readonly handler: DhcpHandler;
  /** Requests in flight beyond this are dropped rather than queued without bound. @default 4096 */
  readonly maxInFlight?: number;
  /** Diagnostic lines (never packet payloads or secrets). */
  readonly log?: (line: string) => void;
  readonly clock?: () => number;
}

export interface DhcpServer {
  readonly metrics: DhcpMetrics;
  /** The bound ports, in the order asked. */
  readonly ports: readonly number[];
  close(): Promise<void>;
}

function bind(socket: dgram.Socket, port: number, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, address, () => {
      socket.removeListener("error", reject);
      resolve(socket.address().port);
    });
  });
}

export async function startDhcpServer(opts: DhcpServerOptions): Promise<DhcpServer> {
  const metrics = newMetrics();
  const clock = opts.clock ?? Date.now;
  const maxInFlight = opts.maxInFlight ?? 4096;
  const log = opts.log ?? (() => undefined);
  let inFlight = 0;
  const sockets: dgram.Socket[] = [];
  const ports: number[] = [];

  const finish = (socket: dgram.Socket, req: DhcpPacket, outcome: Outcome): void => {
    switch (outcome.kind) {
      case "drop":
        countDrop(metrics, outcome.reason);
        return;
      case "done":
        metrics.answered++;
        return;
      case "reply": {
        const bytes = encodeDhcp(outcome.message, replyLimit(req.options.get(Opt.MaxMessageSize)));
        const type = outcome.message.options.get(Opt.MessageType)?.[0] ?? 0;
        socket.send(bytes, outcome.to.port, outcome.to.address, (err) => {
          if (err) {
            countDrop(metrics, "send-error");
            log(`dhcp: send to ${outcome.to.address}:${outcome.to.port} failed: ${err.message}`);
            return;
          }
          metrics.answered++;
          const name = isMessageType(type) ? MESSAGE_TYPE_NAMES[type] : String(type);
          metrics.replies[name] = (metrics.replies[name] ?? 0) + 1;
        });
        return;
      }
    }
  };

  const onMessage = (socket: dgram.Socket, localPort: number, msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    metrics.received++;
    let req: DhcpPacket;
    try {
      req = decodeDhcp(msg);
    } catch (err) {
      countDrop(metrics, "malformed", err instanceof DhcpDecodeError ? err.code : "DHCP_UNKNOWN");
      return;
    }
    if (inFlight >= maxInFlight) {
      countDrop(metrics, "busy");
      return;
    }
    inFlight++;
    opts.handler
      .handle(req, { localPort, from: { address: rinfo.address, port: rinfo.port }, now: clock() })
      .then((outcome) => finish(socket, req, outcome))
      .catch((err: unknown) => {
        countDrop(metrics, "handler-error");
        log(`dhcp: handler failed: ${err instanceof Error ? `${err.name} ${(err as { code?: string }).code ?? ""}` : "error"}`);
      })
      .finally(() => inFlight--);
  };

  const open = async (address: string, port: number): Promise<dgram.Socket> => {
    const socket = dgram.createSocket({ type: "udp4", reuseAddr: true });
    sockets.push(socket);
    await bind(socket, port, address);
    // RFC 2131 §4.1: replies to clients without an address are broadcast.
    socket.setBroadcast(true);
    try {
      // A rack powering on at once sends bursts; the kernel caps this at net.core.rmem_max.
      socket.setRecvBufferSize(RECV_BUFFER_BYTES);
    } catch {
      /* keep the default */
    }
    socket.on("error", (err) => log(`dhcp: socket error on ${address}:${port}: ${err.message}`));
    return socket;
  };
  try {
    for (const port of opts.ports) {
      const receiver = await open(opts.listenAddress, port);
      const bound = receiver.address().port;
      let sender = receiver;
      if (opts.sendAddress !== undefined && opts.sendAddress !== opts.listenAddress) {
        sender = await open(opts.sendAddress, bound);
        // Unicast to Anvil's address (renewals, ProxyDHCP on 4011) lands on the more specific socket.
        sender.on("message", (msg, rinfo) => onMessage(sender, bound, msg, rinfo));
      }
      receiver.on("message", (msg, rinfo) => onMessage(sender, bound, msg, rinfo));
      ports.push(bound);
    }
  } catch (err) {
    for (const s of sockets) s.close();
    throw err;
  }
  log(`dhcp: listening on ${opts.listenAddress} ports ${ports.join(",")}`);

  return {
    metrics,
    ports,
    async close() {
      await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      await opts.handler.close?.();
    },
  };
}
