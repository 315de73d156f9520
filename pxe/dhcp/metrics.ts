/** Counters of the DHCP service: every datagram ends up answered or dropped with a reason. */

export type DropReason =
  | "malformed"
  | "not-request"
  | "not-ethernet"
  | "unknown-mac"
  | "not-netboot"
  | "boot-none"
  | "unsupported-arch"
  | "unsupported-type"
  | "wrong-server"
  | "wrong-port"
  | "foreign-relay"
  | "wrong-network"
  | "no-binding"
  | "pool-exhausted"
  | "busy"
  | "handler-error"
  | "send-error";

export interface DhcpMetrics {
  received: number;
  answered: number;
  /** Replies by message type name (OFFER, ACK, NAK). */
  replies: Record<string, number>;
  dropped: Partial<Record<DropReason, number>>;
  /** Malformed datagrams by DhcpDecodeError code. */
  malformed: Record<string, number>;
}

export function newMetrics(): DhcpMetrics {
  return { received: 0, answered: 0, replies: {}, dropped: {}, malformed: {} };
}

export function countDrop(m: DhcpMetrics, reason: DropReason, detail?: string): void {
  m.dropped[reason] = (m.dropped[reason] ?? 0) + 1;
  if (reason === "malformed" && detail) m.malformed[detail] = (m.malformed[detail] ?? 0) + 1;
}

export function totalDropped(m: DhcpMetrics): number {
  return Object.values(m.dropped).reduce((a, b) => a + b, 0);
}
