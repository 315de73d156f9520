/**
 * Option negotiation for read requests (RFC 2347 §4 OACK and its option
 * RFCs). Pure: given what the client asked, the server's limits and the file
 * size, it returns the transfer parameters and the OACK options. Options the
 * server does not accept are simply omitted from the OACK (RFC 2347 §4).
 */

/** The server's negotiation limits. */
export interface NegotiationLimits {
  /**
   * Largest DATA payload we agree to. RFC 2348 allows up to 65464; clamp to
   * what the path MTU carries (1500-byte Ethernet: 1500 - 20 IP - 8 UDP - 4 TFTP = 1468).
   * @default 1468
   */
  readonly maxBlockSize: number;
  /** Largest RFC 7440 window we agree to. @default 64 */
  readonly maxWindowSize: number;
  /** Retransmission interval when the client does not ask for one, in ms. @default 1000 */
  readonly defaultTimeoutMs: number;
}

export interface TransferParams {
  /** RFC 1350 §2: 512 unless blksize is negotiated. */
  readonly blockSize: number;
  /** RFC 7440 §4: 1 (lock-step, RFC 1350) unless windowsize is negotiated. */
  readonly windowSize: number;
  readonly timeoutMs: number;
}

export interface Negotiation {
  readonly params: TransferParams;
  /** What goes into the OACK; empty means no OACK, send DATA 1 directly (RFC 2347 §4). */
  readonly oack: ReadonlyMap<string, string>;
}

const DECIMAL = /^[0-9]{1,10}$/;

function intOption(v: string | undefined): number | undefined {
  if (v === undefined || !DECIMAL.test(v)) return undefined;
  return Number(v);
}

export function negotiate(requested: ReadonlyMap<string, string>, limits: NegotiationLimits, fileSize: number | undefined): Negotiation {
  const oack = new Map<string, string>();
  let blockSize = 512;
  let windowSize = 1;
  let timeoutMs = limits.defaultTimeoutMs;

  // RFC 2348: valid values 8-65464; the server may answer with a smaller value.
  const blksize = intOption(requested.get("blksize"));
  if (blksize !== undefined && blksize >= 8 && blksize <= 65464) {
    blockSize = Math.min(blksize, limits.maxBlockSize);
    oack.set("blksize", String(blockSize));
  }

  // RFC 2349 §3: valid 1-255 seconds; the server must accept the value as given or omit it.
  // It is echoed, but as the sender we retransmit no later than our own interval: a lost
  // block then costs one short wait instead of curl's 6 s, and the duplicates this may
  // cause are harmless (RFC 1123 §4.2.3.1: a duplicate never triggers a resend).
  const timeout = intOption(requested.get("timeout"));
  if (timeout !== undefined && timeout >= 1 && timeout <= 255) {
    timeoutMs = Math.min(timeout * 1000, limits.defaultTimeoutMs);
    oack.set("timeout", String(timeout));
  }

  // RFC 2349 §4: in a RRQ the client sends 0 and the server answers with the file's size.
  if (requested.has("tsize") && fileSize !== undefined && intOption(requested.get("tsize")) !== undefined) {
    oack.set("tsize", String(fileSize));
  }

  // RFC 7440 §4: valid 1-65535; the server may answer with a smaller value.
  const windowsize = intOption(requested.get("windowsize"));
  if (windowsize !== undefined && windowsize >= 1 && windowsize <= 65535) {
    windowSize = Math.min(windowsize, limits.maxWindowSize);
    oack.set("windowsize", String(windowSize));
  }

  return { params: { blockSize, windowSize, timeoutMs }, oack };
}
