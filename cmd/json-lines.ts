/**
 * JSON log lines for `anvil pxe serve`, written once per event-loop turn.
 * Writes to a file or pipe are synchronous in Node on Linux, one write(2)
 * each: a burst of 100 TFTP requests logged two lines apiece paid 200
 * writes (about 40 µs each) on the loop that answers the requests. Lines
 * made in one turn go out together, in order, at setImmediate; whatever is
 * pending when the process exits is written then.
 */
export interface JsonLines {
  /** Queues one line: `ts` first, then the object's fields. */
  emit(obj: object): void;
  /** Writes what is queued now. */
  flush(): void;
}

export function jsonLinesTo(write: (text: string) => void): JsonLines {
  let pending: string[] = [];
  const flush = (): void => {
    if (pending.length === 0) return;
    const text = pending.join("");
    pending = [];
    write(text);
  };
  return {
    emit(obj) {
      pending.push(`${JSON.stringify({ ts: new Date().toISOString(), ...obj })}\n`);
      if (pending.length === 1) setImmediate(flush);
    },
    flush,
  };
}
