/**
 * The one road every BMC call takes, whatever the driver: a deadline per
 * operation (an AbortSignal handed to the driver), retries of transient
 * failures, one operation at a time per BMC, and a global concurrency limit.
 *
 * One at a time per BMC because BMCs break under parallel sessions (Ironic
 * serialises per node for the same reason); the global limit keeps a fleet
 * reconcile from opening hundreds of sockets at once.
 */
import PQueue from "p-queue";
import { BmcError, BmcErrorCode, isBmcError } from "./errors.js";
import { withRetries, type RetryPolicy } from "./retry.js";
import type { BmcClient, BootControl, InventoryReader, PowerControl, VirtualMediaControl } from "./types.js";

export interface AccessQueueOptions {
  /** Operations running at once across every BMC. @default 16 */
  readonly globalConcurrency?: number;
  /** Deadline of one operation from the moment it is asked for, queueing and retries included. @default 30_000 */
  readonly timeoutMs?: number;
  /** Deadline of one `setPower`, which waits for the new state. @default 120_000 */
  readonly powerTimeoutMs?: number;
  readonly retry?: RetryPolicy;
}

export type WrapOptions = Pick<AccessQueueOptions, "timeoutMs" | "powerTimeoutMs" | "retry">;

interface Lane {
  readonly queue: PQueue;
  users: number;
}

/**
 * A signal that aborts at `timeoutMs` or when `outer` does. Hand-made rather
 * than AbortSignal.any so a long-lived caller signal (a manager's shutdown
 * signal passed to every call) does not collect one dependant per call:
 * `release` detaches the listener and clears the timer.
 */
function deadlineSignal(timeoutMs: number, outer: AbortSignal | undefined): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException("deadline", "TimeoutError")), timeoutMs);
  timer.unref();
  const onOuter = (): void => controller.abort(outer?.reason);
  if (outer?.aborted === true) onOuter();
  else outer?.addEventListener("abort", onOuter, { once: true });
  return {
    signal: controller.signal,
    release: () => {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onOuter);
    },
  };
}

export class BmcAccessQueue {
  private readonly global: PQueue;
  private readonly lanes = new Map<string, Lane>();

  constructor(private readonly options: AccessQueueOptions = {}) {
    this.global = new PQueue({ concurrency: options.globalConcurrency ?? 16 });
  }

  /** Operations waiting or running, across every BMC. */
  get load(): { readonly waiting: number; readonly running: number; readonly bmcs: number } {
    return { waiting: this.global.size, running: this.global.pending, bmcs: this.lanes.size };
  }

  /**
   * Runs `op` in `key`'s lane. `op` gets the signal that aborts at the
   * deadline or when the caller's `signal` does, and must pass it down.
   */
  async run<T>(
    key: string,
    what: string,
    op: (signal: AbortSignal) => Promise<T>,
    opts: { timeoutMs?: number; retry?: RetryPolicy | false; signal?: AbortSignal | undefined } = {},
  ): Promise<T> {
    const timeoutMs = opts.timeoutMs ?? this.options.timeoutMs ?? 30_000;
    const { signal, release } = deadlineSignal(timeoutMs, opts.signal);
    const describe = (): string => `${what} on ${key} (deadline ${timeoutMs} ms)`;
    const retry = opts.retry === false ? { attempts: 1 } : (opts.retry ?? this.options.retry);
    const lane = this.enter(key);
    try {
      return await lane.queue.add(
        () => this.global.add(() => withRetries(() => op(signal), { policy: retry, signal, describe }), { signal }),
        { signal },
      );
    } catch (err) {
      if (isBmcError(err)) throw err;
      if (signal.aborted) throw new BmcError(BmcErrorCode.Timeout, `${describe()} expired while waiting for its turn`, { transient: true });
      throw err;
    } finally {
      release();
      this.leave(key, lane);
    }
  }

  /** A BmcClient whose every call goes through this queue, in the lane of `client.displayAddress`. */
  wrap(client: BmcClient, opts: WrapOptions = {}): BmcClient {
    const key = client.displayAddress;
    const timeoutMs = opts.timeoutMs ?? this.options.timeoutMs;
    const powerTimeoutMs = opts.powerTimeoutMs ?? this.options.powerTimeoutMs ?? 120_000;
    const retry = opts.retry ?? this.options.retry;
    const run = <T>(what: string, op: (s: AbortSignal) => Promise<T>, signal: AbortSignal | undefined, timeout = timeoutMs): Promise<T> =>
      this.run(key, what, op, { timeoutMs: timeout, retry, signal });

    const power: PowerControl = {
      getPower: (signal) => run("power status", (s) => client.power.getPower(s), signal),
      setPower: (action, signal) => run(`power ${action}`, (s) => client.power.setPower(action, s), signal, powerTimeoutMs),
    };
    const boot: BootControl = {
      setBootOverride: (o, signal) => run(`boot override ${o.device}`, (s) => client.boot.setBootOverride(o, s), signal),
      getBootOverride: (signal) => run("boot override read", (s) => client.boot.getBootOverride(s), signal),
    };
    const vm = client.virtualMedia;
    const virtualMedia: VirtualMediaControl | undefined =
      vm === undefined
        ? undefined
        : {
            insertMedia: (req, signal) => run("virtual media insert", (s) => vm.insertMedia(req, s), signal),
            ejectMedia: (kind, signal) => run("virtual media eject", (s) => vm.ejectMedia(kind, s), signal),
          };
    const inv = client.inventory;
    const inventory: InventoryReader | undefined =
      inv === undefined ? undefined : { getInventory: (signal) => run("inventory", (s) => inv.getInventory(s), signal) };

    return {
      driver: client.driver,
      displayAddress: client.displayAddress,
      power,
      boot,
      virtualMedia,
      inventory,
      close: () => this.run(key, "close", () => client.close(), { timeoutMs: timeoutMs ?? 30_000, retry: false }),
    };
  }

  private enter(key: string): Lane {
    let lane = this.lanes.get(key);
    if (lane === undefined) {
      lane = { queue: new PQueue({ concurrency: 1 }), users: 0 };
      this.lanes.set(key, lane);
    }
    lane.users += 1;
    return lane;
  }

  private leave(key: string, lane: Lane): void {
    lane.users -= 1;
    if (lane.users === 0 && this.lanes.get(key) === lane) this.lanes.delete(key);
  }
}
