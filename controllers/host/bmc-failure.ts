/**
 * Turns a thrown error from a BMC call into a status message. Only the
 * error's code and the driver's own message (built from the address without
 * userinfo, bmc/errors.ts) are used; anything that is not a BmcError is
 * reported by its code alone, so no stray text can carry a secret.
 */
import { isBmcError } from "../../bmc/errors.js";

export function describeBmcFailure(action: string, err: unknown): string {
  if (isBmcError(err)) return `${action}: ${err.code}: ${err.message}`;
  return `${action}: unexpected error`;
}

/** Runs `call`, returning the error as a value so handlers branch without try/catch noise. */
export async function attempt<T>(call: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    return { ok: false, error };
  }
}
