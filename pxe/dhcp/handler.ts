/** The contract between the packet loop and the mode handlers. */
import type { DropReason } from "./metrics.js";
import type { DhcpMessage, DhcpPacket } from "./packet.js";
import type { Destination } from "./reply.js";

export interface RequestContext {
  /** The local port the datagram arrived on (67, or 4011 for ProxyDHCP). */
  readonly localPort: number;
  /** Source address and port of the datagram. */
  readonly from: Destination;
  /** Epoch ms, injected so tests control lease time. */
  readonly now: number;
}

export type Outcome =
  | { readonly kind: "reply"; readonly message: DhcpMessage; readonly to: Destination }
  /** Handled without a reply (RELEASE, DECLINE: RFC 2131 §4.3.3, §4.3.4). */
  | { readonly kind: "done" }
  | { readonly kind: "drop"; readonly reason: DropReason };

export interface DhcpHandler {
  handle(req: DhcpPacket, ctx: RequestContext): Promise<Outcome>;
  /** Waits for pending writes (lease file). */
  close?(): Promise<void>;
}

export const drop = (reason: DropReason): Outcome => ({ kind: "drop", reason });
