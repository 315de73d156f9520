/** Runs one operation under its deadline; running out becomes a typed Timeout. */
import { BmcError, BmcErrorCode } from "../errors.js";

export async function withDeadline<T>(
  what: string,
  timeoutMs: number,
  outer: AbortSignal | undefined,
  fn: (signal: AbortSignal, deadline: number) => Promise<T>,
): Promise<T> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = outer ? AbortSignal.any([outer, timeout]) : timeout;
  try {
    return await fn(signal, Date.now() + timeoutMs);
  } catch (err) {
    if (timeout.aborted && !(outer?.aborted ?? false)) {
      throw new BmcError(BmcErrorCode.Timeout, `${what} did not finish within ${timeoutMs} ms`, { cause: err, transient: true });
    }
    throw err;
  }
}
