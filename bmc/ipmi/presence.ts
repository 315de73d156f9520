/** RMCP/ASF Presence Ping (IPMI v2.0 §13.2.3): is anything RMCP-aware listening, before any session. */
import { randomBytes } from "node:crypto";
import { decodeAsfPong, encodeAsfPing } from "./rmcp.js";
import { DEFAULT_RETRY, UdpChannel, type RetryPolicy } from "./udp-channel.js";
import type { IpmiTarget } from "./target.js";
import { displayAddress } from "./client.js";
import type { AsfPong } from "./rmcp.js";

export async function presencePing(
  target: IpmiTarget,
  options: { retry?: Partial<RetryPolicy>; signal?: AbortSignal } = {},
): Promise<AsfPong> {
  const channel = new UdpChannel(target.host, target.port, displayAddress(target));
  const tag = (randomBytes(1)[0] ?? 0) % 0xff;
  try {
    return await channel.exchange(
      () => encodeAsfPing(tag),
      (dgram) => {
        const pong = decodeAsfPong(dgram);
        return pong.tag === tag ? pong : undefined;
      },
      { what: "ASF Presence Ping", policy: { ...DEFAULT_RETRY, ...options.retry }, ...(options.signal ? { signal: options.signal } : {}) },
    );
  } finally {
    channel.close();
  }
}
