/**
 * A packet that is not the protocol. Codecs throw it; the UDP channel counts
 * and drops such packets (a stray or forged datagram must not end a session)
 * and reports a ProtocolError only when nothing valid ever arrived.
 */
export class IpmiDecodeError extends Error {
  override readonly name = "IpmiDecodeError";
  readonly code = "IPMI_DECODE";
}

export function need(buf: Uint8Array, length: number, what: string): void {
  if (buf.length < length) throw new IpmiDecodeError(`${what}: ${buf.length} bytes, need ${length}`);
}
