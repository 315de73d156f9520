/**
 * Establishes one RMCP+ session: Get Channel Authentication Capabilities
 * (§22.13), Open Session (§13.17–13.18), RAKP 1–4 (§13.20–13.23), then Set
 * Session Privilege Level (§22.18), the way ipmitool's lanplus interface and
 * pyghmi do it.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { BmcError, BmcErrorCode } from "../errors.js";
import type { CipherSuite } from "./cipher-suite.js";
import type { IpmiCommand } from "./commands/command.js";
import { getChannelAuthCapabilities } from "./commands/app.js";
import { deriveSessionKeys, sessionIntegrityKey, userKey, type SessionKeys } from "./keys.js";
import { decodeLanResponse, encodeLanRequest } from "./lan-message.js";
import {
  decodeOpenSessionResponse,
  decodeRakp2,
  decodeRakp4,
  encodeOpenSessionRequest,
  encodeRakp1,
  encodeRakp3,
  NAME_ONLY_LOOKUP,
  rakp2AuthCode,
  rakp3AuthCode,
  rakp4Icv,
  type KeyExchangeInputs,
} from "./rakp.js";
import { decodePacket, encodeV15Packet, encodeV20Packet, PayloadType } from "./session-packet.js";
import { completionCodeError, rmcpPlusStatusError } from "./status-codes.js";
import type { RetryPolicy, UdpChannel } from "./udp-channel.js";

export interface HandshakeOptions {
  readonly username: string;
  readonly password: string;
  readonly privilege: number;
  readonly suite: CipherSuite;
  /** RAKP 1 name-only lookup (§13.20). @default true */
  readonly nameOnlyLookup: boolean;
  /** BMC key KG (§13.31), when the BMC has one; otherwise Kuid. */
  readonly kg?: Uint8Array;
  readonly retry: RetryPolicy;
  readonly where: string;
}

export interface Established {
  readonly consoleSessionId: number;
  readonly bmcSessionId: number;
  readonly keys: SessionKeys;
}

/** The IPMI username field is 16 bytes and the password key 20 (§13.20, §22.29). */
const MAX_USERNAME = 16;
const MAX_PASSWORD = 20;

export async function openSession(
  channel: UdpChannel,
  o: HandshakeOptions,
  nextRqSeq: () => number,
  signal: AbortSignal | undefined,
): Promise<Established> {
  const username = Buffer.from(o.username, "utf8");
  const kuid = userKey(o.password);
  if (username.length > MAX_USERNAME || kuid.length > MAX_PASSWORD) {
    throw new BmcError(
      BmcErrorCode.NotSupported,
      `IPMI ${o.where}: IPMI allows user names up to ${MAX_USERNAME} bytes and passwords up to ${MAX_PASSWORD} bytes`,
    );
  }
  const ex = { policy: o.retry, signal };

  const caps = await sessionless(channel, getChannelAuthCapabilities(o.privilege), nextRqSeq(), o.where, ex);
  if (!caps.ipmiV20) {
    throw new BmcError(BmcErrorCode.NotSupported, `IPMI ${o.where}: the channel does not offer IPMI v2.0 / RMCP+`);
  }

  const consoleSessionId = randomBytes(4).readUInt32LE(0) || 1;
  const tag = randomBytes(1)[0] ?? 0;
  const open = await channel.exchange(
    () =>
      encodeV20Packet({
        payloadType: PayloadType.OpenSessionRequest,
        sessionId: 0,
        sequence: 0,
        payload: encodeOpenSessionRequest({ tag, privilege: o.privilege, consoleSessionId, suite: o.suite }),
      }),
    (dgram) => {
      const pkt = decodePacket(dgram);
      if (pkt.payloadType !== PayloadType.OpenSessionResponse) return undefined;
      const r = decodeOpenSessionResponse(pkt.payload);
      if (r.tag !== tag) return undefined;
      if (r.status !== 0) throw rmcpPlusStatusError("Open Session", r.status, o.where);
      if (r.consoleSessionId !== consoleSessionId) return undefined;
      return r;
    },
    { ...ex, what: "Open Session Request" },
  );
  if (
    open.authAlgorithm !== o.suite.authAlgorithm ||
    open.integrityAlgorithm !== o.suite.integrityAlgorithm ||
    open.confidentialityAlgorithm !== o.suite.confidentialityAlgorithm
  ) {
    throw new BmcError(BmcErrorCode.NotSupported, `IPMI ${o.where}: the BMC does not accept cipher suite ${o.suite.id}`);
  }
  if (open.bmcSessionId === 0) throw new BmcError(BmcErrorCode.ProtocolError, `IPMI ${o.where}: BMC session ID 0`);

  const role = o.privilege | (o.nameOnlyLookup ? NAME_ONLY_LOOKUP : 0);
  const consoleRandom = randomBytes(16);
  const rakp2 = await channel.exchange(
    () =>
      encodeV20Packet({
        payloadType: PayloadType.Rakp1,
        sessionId: 0,
        sequence: 0,
        payload: encodeRakp1({ tag, bmcSessionId: open.bmcSessionId, consoleRandom, role, username }),
      }),
    (dgram) => {
      const pkt = decodePacket(dgram);
      if (pkt.payloadType !== PayloadType.Rakp2) return undefined;
      const r = decodeRakp2(pkt.payload, o.suite);
      if (r.tag !== tag) return undefined;
      if (r.status !== 0) throw rmcpPlusStatusError("RAKP 1", r.status, o.where);
      return r.consoleSessionId === consoleSessionId ? r : undefined;
    },
    { ...ex, what: "RAKP Message 1" },
  );

  const inputs: KeyExchangeInputs = {
    consoleSessionId,
    bmcSessionId: open.bmcSessionId,
    consoleRandom,
    bmcRandom: rakp2.bmcRandom,
    bmcGuid: rakp2.bmcGuid,
    role,
    username,
  };
  // The BMC proves it knows Kuid first (§13.21); a mismatch means our password differs from its.
  if (!timingSafeEqual(rakp2AuthCode(o.suite, kuid, inputs), rakp2.authCode)) {
    throw new BmcError(
      BmcErrorCode.AuthFailed,
      `IPMI ${o.where}: RAKP 2 key exchange auth code does not match: wrong password for user "${o.username}"`,
    );
  }
  const sik = sessionIntegrityKey(o.suite, o.kg ?? kuid, { consoleRandom, bmcRandom: rakp2.bmcRandom, role, username });
  const keys = deriveSessionKeys(o.suite, sik);
  const rakp4 = await channel.exchange(
    () =>
      encodeV20Packet({
        payloadType: PayloadType.Rakp3,
        sessionId: 0,
        sequence: 0,
        payload: encodeRakp3(tag, 0, open.bmcSessionId, rakp3AuthCode(o.suite, kuid, inputs)),
      }),
    (dgram) => {
      const pkt = decodePacket(dgram, keys);
      if (pkt.authenticated) {
        // RAKP 4 was lost and the BMC answered our retransmitted RAKP 3 inside the now active
        // session. Its AuthCode is keyed with K1, which only a holder of SIK can compute: the
        // same proof the RAKP 4 ICV gives (§13.28.4, §13.31).
        return pkt.sessionId === consoleSessionId ? "activated" : undefined;
      }
      if (pkt.payloadType !== PayloadType.Rakp4) return undefined;
      const r = decodeRakp4(pkt.payload, o.suite);
      if (r.tag !== tag) return undefined;
      if (r.status !== 0) throw rmcpPlusStatusError("RAKP 3", r.status, o.where);
      return r.consoleSessionId === consoleSessionId ? r : undefined;
    },
    { ...ex, what: "RAKP Message 3" },
  );
  if (rakp4 !== "activated" && !timingSafeEqual(rakp4Icv(o.suite, sik, inputs), rakp4.icv)) {
    throw new BmcError(
      BmcErrorCode.AuthFailed,
      `IPMI ${o.where}: RAKP 4 integrity check value does not match (the BMC uses a different KG key)`,
    );
  }
  return { consoleSessionId, bmcSessionId: open.bmcSessionId, keys };
}

/** A request outside any session, in the v1.5 wrapper with authentication type none (§13.6). */
async function sessionless<T>(
  channel: UdpChannel,
  command: IpmiCommand<T>,
  rqSeq: number,
  where: string,
  ex: { policy: RetryPolicy; signal: AbortSignal | undefined },
): Promise<T> {
  const request = encodeLanRequest({ netFn: command.netFn, cmd: command.cmd, rqSeq, data: command.data });
  const response = await channel.exchange(
    () => encodeV15Packet(request),
    (dgram) => {
      const pkt = decodePacket(dgram);
      if (pkt.payloadType !== PayloadType.Ipmi || pkt.authenticated) return undefined;
      const r = decodeLanResponse(pkt.payload);
      return r.cmd === command.cmd && r.rqSeq === rqSeq && r.netFn === command.netFn + 1 ? r : undefined;
    },
    { ...ex, what: command.name },
  );
  if (response.completionCode !== 0) throw completionCodeError(command.name, response.completionCode, where);
  return command.decode(response.data);
}
