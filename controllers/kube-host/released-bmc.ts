/**
 * A host's BMC client for one reconcile whose every call runs with the
 * reconcile's worker slot released (runtime ReconcileContext.released): a
 * power change waits until the BMC reports the new state (sushy-tools' fake
 * driver takes 1–11 s, real BMCs as long), and a call may also queue behind
 * the BMC layer's global limit. Neither is work of this process, so neither
 * should keep other hosts from being reconciled. The host's key stays
 * locked meanwhile, and the state machine still sees each call finish in
 * order (off, boot override, on): ADR 0017's sequence is unchanged.
 * Decision: docs/adr/0021-released-worker-slots.md.
 */
import type { BmcClient } from "../../bmc/types.js";
import type { ReconcileContext } from "../runtime/index.js";

export function releasedBmc(c: BmcClient, ctx: ReconcileContext): BmcClient {
  const rel =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    (...a: A): Promise<R> =>
      ctx.released(() => fn(...a));
  const inv = c.inventory;
  const vm = c.virtualMedia;
  return {
    driver: c.driver,
    displayAddress: c.displayAddress,
    power: { getPower: rel((s?: AbortSignal) => c.power.getPower(s)), setPower: rel((a, s?: AbortSignal) => c.power.setPower(a, s)) },
    boot: {
      setBootOverride: rel((o, s?: AbortSignal) => c.boot.setBootOverride(o, s)),
      getBootOverride: rel((s?: AbortSignal) => c.boot.getBootOverride(s)),
    },
    virtualMedia: vm === undefined ? undefined : { insertMedia: rel((r, s?: AbortSignal) => vm.insertMedia(r, s)), ejectMedia: rel((k, s?: AbortSignal) => vm.ejectMedia(k, s)) },
    inventory: inv === undefined ? undefined : { getInventory: rel((s?: AbortSignal) => inv.getInventory(s)) },
    // The cached client outlives this reconcile; BmcConnections closes it.
    close: () => Promise.resolve(),
  };
}
