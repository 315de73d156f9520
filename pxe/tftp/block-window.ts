/**
 * Block-number bookkeeping for a windowed read transfer (RFC 7440) with
 * 16-bit block numbers that wrap past 65535 to 0 (as tftp-hpa and iPXE
 * expect; RFC 1350 leaves large files undefined). Internally blocks are
 * counted with unbounded integers; only the wire uses the low 16 bits.
 */

/** Number of DATA blocks for `size` bytes: a final short (possibly empty) block ends the transfer (RFC 1350 §6). */
export function blockCount(size: number, blockSize: number): number {
  return Math.floor(size / blockSize) + 1;
}

/**
 * The absolute block an ACK refers to, given the highest block acknowledged
 * so far and the highest block sent. `undefined` when the ACK is outside
 * [acked, sent] (an old or foreign number), which the caller ignores.
 */
export function ackedBlock(wire: number, acked: number, sent: number): number | undefined {
  const diff = (wire - (acked & 0xffff) + 0x10000) & 0xffff;
  return diff <= sent - acked ? acked + diff : undefined;
}
