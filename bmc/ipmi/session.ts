/**
 * A reusable RMCP+ session to one BMC: commands run one at a time over one
 * socket, an idle session is kept alive with Get Device ID, a session the
 * BMC dropped is re-opened transparently, and close() sends Close Session.
 */
import { BmcError, BmcErrorCode, isBmcError } from "../errors.js";
import type { CipherSuite } from "./cipher-suite.js";
import type { IpmiCommand } from "./commands/command.js";
import { closeSession, getDeviceId, setSessionPrivilegeLevel } from "./commands/app.js";
import { IpmiDecodeError } from "./decode-error.js";
import { openSession, type Established, type HandshakeOptions } from "./handshake.js";
import { decodeLanResponse, encodeLanRequest, type LanResponse } from "./lan-message.js";
import { ReplayWindow } from "./replay-window.js";
import { decodePacket, encodeV20Packet, PayloadType } from "./session-packet.js";
import { completionCodeError } from "./status-codes.js";
import { PrivilegeLevel } from "./target.js";
import { UdpChannel, type ChannelStats } from "./udp-channel.js";

export interface SessionOptions extends Omit<HandshakeOptions, "suite"> {
  /** Cipher suites to offer, in order of preference; the next is tried when the BMC refuses one. */
  readonly suites: readonly CipherSuite[];
  readonly host: string;
  readonly port: number;
  /** Idle time after which a Get Device ID keeps the session open; 0 disables. @default 20_000 */
  readonly keepaliveMs: number;
}

export interface SessionStats extends ChannelStats {
  /** The suite of the last session opened, 0 before the first. */
  cipherSuite: number;
  sessionsOpened: number;
  reopens: number;
  keepalives: number;
}

/** Close Session is a courtesy: one send, a short wait, no retry. */
const ONE_SHOT = { attempts: 1, initialTimeoutMs: 500, maxTimeoutMs: 500 };

interface Live extends Established {
  /** The level Set Session Privilege Level granted. */
  privilege: number;
  outbound: number;
  readonly inbound: ReplayWindow;
}

export class RmcpPlusSession {
  private readonly channel: UdpChannel;
  private live: Live | undefined;
  private rqSeq = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private keepalive: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly counters = { cipherSuite: 0, sessionsOpened: 0, reopens: 0, keepalives: 0 };
  /** Suites still worth offering; one the BMC refused is not offered again by this client. */
  private suites: readonly CipherSuite[];

  constructor(private readonly o: SessionOptions) {
    this.channel = new UdpChannel(o.host, o.port, o.where);
    this.suites = o.suites;
  }

  get stats(): SessionStats {
    return { ...this.channel.stats, ...this.counters };
  }

  /** Runs one command in the session, opening or re-opening it as needed. */
  run<T>(command: IpmiCommand<T>, signal?: AbortSignal): Promise<T> {
    return this.serialized(async () => {
      if (this.closed) throw new BmcError(BmcErrorCode.Unreachable, `IPMI ${this.o.where}: client closed`);
      const fresh = this.live === undefined;
      const live = await this.ensureOpen(signal);
      try {
        return await this.send(live, command, signal);
      } catch (err) {
        // A BMC that dropped our session (restart, inactivity timeout) stays silent or answers
        // garbage for the old session ID: open a new session once and resend.
        if (fresh || !(isBmcError(err, BmcErrorCode.Unreachable) || isBmcError(err, BmcErrorCode.ProtocolError))) throw err;
        this.live = undefined;
        this.counters.reopens++;
        return await this.send(await this.ensureOpen(signal), command, signal);
      }
    });
  }

  /** Sends Close Session (§22.19) if a session is open, then releases the socket. Idempotent. */
  async close(): Promise<void> {
    await this.serialized(async () => {
      if (this.closed) return;
      this.closed = true;
      const live = this.live;
      this.live = undefined;
      if (live) {
        await this.send(live, closeSession(live.bmcSessionId), undefined, ONE_SHOT).catch(() => undefined);
      }
    });
    clearTimeout(this.keepalive);
    this.channel.close();
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    clearTimeout(this.keepalive);
    const run = this.tail.then(fn, fn);
    this.tail = run.then(
      () => this.armKeepalive(),
      () => this.armKeepalive(),
    );
    return run;
  }

  private armKeepalive(): void {
    clearTimeout(this.keepalive);
    if (this.closed || this.live === undefined || this.o.keepaliveMs <= 0) return;
    this.keepalive = setTimeout(() => {
      this.counters.keepalives++;
      this.run(getDeviceId()).catch(() => {
        this.live = undefined;
      });
    }, this.o.keepaliveMs);
    this.keepalive.unref();
  }

  private async ensureOpen(signal: AbortSignal | undefined): Promise<Live> {
    if (this.live) return this.live;
    const { est, suite } = await this.negotiate(signal);
    const live: Live = { ...est, privilege: PrivilegeLevel.USER, outbound: 0, inbound: new ReplayWindow() };
    // An RMCP+ session starts at User level whatever RAKP granted (§22.18); raise it like ipmitool does.
    if (this.o.privilege > PrivilegeLevel.USER) {
      try {
        live.privilege = await this.raisePrivilege(live, signal);
      } catch (err) {
        // Give the BMC its session slot back before reporting (§22.19).
        await this.send(live, closeSession(live.bmcSessionId), undefined, ONE_SHOT).catch(() => undefined);
        throw err;
      }
    }
    this.counters.sessionsOpened++;
    this.counters.cipherSuite = suite.id;
    this.live = live;
    return live;
  }

  private async negotiate(signal: AbortSignal | undefined): Promise<{ est: Established; suite: CipherSuite }> {
    for (;;) {
      const [suite, ...rest] = this.suites;
      if (suite === undefined) throw new Error("RmcpPlusSession: no cipher suite to offer");
      try {
        return { est: await openSession(this.channel, { ...this.o, suite }, () => this.nextRqSeq(), signal), suite };
      } catch (err) {
        if (rest.length === 0 || !isBmcError(err, BmcErrorCode.NotSupported)) throw err;
        this.suites = rest;
      }
    }
  }

  private async raisePrivilege(live: Live, signal: AbortSignal | undefined): Promise<number> {
    let granted: number;
    try {
      granted = await this.send(live, setSessionPrivilegeLevel(this.o.privilege), signal);
    } catch (err) {
      if (isBmcError(err, BmcErrorCode.BmcError)) {
        throw new BmcError(BmcErrorCode.AuthFailed, err.message, { cause: err, bmcMessage: err.bmcMessage });
      }
      throw err;
    }
    if (granted < this.o.privilege) {
      throw new BmcError(
        BmcErrorCode.AuthFailed,
        `IPMI ${this.o.where}: user "${this.o.username}" was granted privilege level ${granted}, not the requested ${this.o.privilege}`,
      );
    }
    return granted;
  }

  private nextRqSeq(): number {
    this.rqSeq = (this.rqSeq + 1) & 0x3f;
    return this.rqSeq;
  }

  private async send<T>(
    live: Live,
    command: IpmiCommand<T>,
    signal: AbortSignal | undefined,
    policy = this.o.retry,
  ): Promise<T> {
    const rqSeq = this.nextRqSeq();
    const message = encodeLanRequest({ netFn: command.netFn, cmd: command.cmd, rqSeq, data: command.data });
    const response: LanResponse = await this.channel.exchange(
      // Every datagram, retransmissions included, takes the next session sequence number (§6.12.13).
      () =>
        encodeV20Packet({
          payloadType: PayloadType.Ipmi,
          sessionId: live.bmcSessionId,
          sequence: (live.outbound = (live.outbound + 1) >>> 0 || 1),
          payload: message,
          keys: live.keys,
        }),
      (dgram) => {
        const pkt = decodePacket(dgram, live.keys);
        if (pkt.payloadType !== PayloadType.Ipmi || pkt.sessionId !== live.consoleSessionId) return undefined;
        if (!live.inbound.accept(pkt.sequence)) return undefined;
        const r = decodeLanResponse(pkt.payload);
        return r.rqSeq === rqSeq && r.cmd === command.cmd && r.netFn === command.netFn + 1 ? r : undefined;
      },
      { what: command.name, policy, signal },
    );
    if (response.completionCode !== 0) {
      throw completionCodeError(command.name, response.completionCode, this.o.where);
    }
    try {
      return command.decode(response.data);
    } catch (err) {
      if (err instanceof IpmiDecodeError) {
        throw new BmcError(BmcErrorCode.ProtocolError, `IPMI ${this.o.where}: ${command.name}: ${err.message}`, { cause: err });
      }
      throw err;
    }
  }
}
