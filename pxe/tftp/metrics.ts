/** Counters of the TFTP server, exposed for tests, logs and a future /metrics endpoint. */
export interface TftpMetrics {
  packetsReceived: number;
  /** Packets that did not decode, or that are not a request on the listening port. */
  malformedDropped: number;
  readRequests: number;
  writeRequestsRefused: number;
  requestsRefused: number;
  transfersStarted: number;
  transfersCompleted: number;
  /** The client sent an ERROR (EDK2 aborts right after the OACK this way) or asked again. */
  transfersAborted: number;
  /** Gave up after the retry budget. */
  transfersTimedOut: number;
  transfersActive: number;
  retransmits: number;
  dataPacketsSent: number;
  bytesSent: number;
  /** Log lines the configured sink threw on; the transfers went on. */
  logLinesLost: number;
}

export function newTftpMetrics(): TftpMetrics {
  return {
    packetsReceived: 0,
    malformedDropped: 0,
    readRequests: 0,
    writeRequestsRefused: 0,
    requestsRefused: 0,
    transfersStarted: 0,
    transfersCompleted: 0,
    transfersAborted: 0,
    transfersTimedOut: 0,
    transfersActive: 0,
    retransmits: 0,
    dataPacketsSent: 0,
    bytesSent: 0,
    logLinesLost: 0,
  };
}
