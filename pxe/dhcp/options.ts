/**
 * DHCP option codes used by Anvil (RFC 2132 unless noted) and the message
 * types of option 53 (RFC 2132 §9.6).
 */
export const Opt = {
  Pad: 0,
  SubnetMask: 1,
  Router: 3,
  DnsServers: 6,
  Hostname: 12,
  BroadcastAddress: 28,
  VendorSpecific: 43,
  RequestedIp: 50,
  LeaseTime: 51,
  Overload: 52,
  MessageType: 53,
  ServerId: 54,
  ParameterRequestList: 55,
  Message: 56,
  MaxMessageSize: 57,
  RenewalTime: 58,
  RebindingTime: 59,
  VendorClassId: 60,
  ClientId: 61,
  TftpServerName: 66,
  BootfileName: 67,
  UserClass: 77,
  RelayAgentInfo: 82,
  /** RFC 4578 §2.1 */
  ClientArch: 93,
  /** RFC 4578 §2.2 */
  ClientNdi: 94,
  /** RFC 4578 §2.3 */
  ClientUuid: 97,
  /** iPXE's encapsulated options (https://ipxe.org/cfg, "dhcp option 175"). */
  Ipxe: 175,
  End: 255,
} as const;

/** iPXE encapsulated sub-options inside option 175. */
export const IpxeOpt = {
  /** `ipxe.no-pxedhcp`: skip the wait for ProxyDHCP offers. */
  NoPxeDhcp: 176,
} as const;

/** PXE spec 2.1 §2.4.1 (Table 2-1): vendor options inside option 43 of a PXEClient reply. */
export const PxeOpt = {
  DiscoveryControl: 6,
} as const;

/** RFC 2132 §9.6 */
export const MessageType = {
  Discover: 1,
  Offer: 2,
  Request: 3,
  Decline: 4,
  Ack: 5,
  Nak: 6,
  Release: 7,
  Inform: 8,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

export const MESSAGE_TYPE_NAMES: Readonly<Record<MessageType, string>> = {
  1: "DISCOVER",
  2: "OFFER",
  3: "REQUEST",
  4: "DECLINE",
  5: "ACK",
  6: "NAK",
  7: "RELEASE",
  8: "INFORM",
};

export function isMessageType(n: number): n is MessageType {
  return n >= 1 && n <= 8;
}
