/**
 * Inbound session sequence number check. RMCP+ session sequence numbers
 * increment per packet and a receiver rejects duplicates and packets too far
 * behind the highest one seen, so a captured packet cannot be replayed
 * (IPMI v2.0 §6.12.13 sequence number handling; §13.28 integrity makes the
 * number itself unforgeable). Zero is never valid inside a session.
 */
export const WINDOW = 16;

export class ReplayWindow {
  private highest = 0;
  /** Bit i set: `highest - i` has been seen. */
  private seen = 0;

  accept(sequence: number): boolean {
    const seq = sequence >>> 0;
    if (seq === 0) return false;
    if (seq > this.highest) {
      const shift = seq - this.highest;
      this.seen = shift >= WINDOW ? 1 : ((this.seen << shift) | 1) & ((1 << WINDOW) - 1);
      this.highest = seq;
      return true;
    }
    const behind = this.highest - seq;
    if (behind >= WINDOW) return false;
    const bit = 1 << behind;
    if ((this.seen & bit) !== 0) return false;
    this.seen |= bit;
    return true;
  }
}
