/**
 * A simulated fleet of servers behind sushy-tools' fake driver: for each
 * Redfish system it plays the firmware and the deploy ramdisk. It polls every
 * system's PowerState and BootSourceOverrideTarget; when a system comes on
 * (observed Off → On, or On at the first look) with a network-boot override
 * (`Pxe`, `UefiHttp`) it does what iPXE would: GET `/ipxe/<mac>` from the
 * manager, and if that script boots the ramdisk, reads `anvil.api=` and
 * `anvil.token=` from its kernel line and runs the agent
 * (sim-agent-session.ts). Powering off ends the ramdisk run.
 *
 * Firmware timing: the script is fetched `firmwareDelayMs` after power-on is
 * seen (POST). When the manager cannot be reached at all the sim keeps trying
 * for 60 s, as a PXE ROM repeats DHCP (PXE 2.1 §2.2.1: four retries, 4 + 8 +
 * 16 + 32 s) before the firmware moves on; a 404 or a script without a
 * ramdisk boots the disk, as iPXE's `|| exit` does.
 *
 * sushy-tools' fake driver applies a power change 1–11 s after the request,
 * and a restart shows `Off` until then, often for less than one poll. Two
 * signs stand in for a restart the sim did not see: a host running its disk
 * whose override turns to network boot (a manager sets the override, then
 * restarts; the firmware delay keeps the sim from booting before the restart
 * lands), and a running ramdisk whose token is refused (the manager booted a
 * newer one). Either way the script is fetched again.
 *
 * Every deploy is recorded per MAC, so a test can prove no host was
 * provisioned twice. Polling is bounded (a fixed pause between rounds, a
 * request timeout) and `stop()` ends every loop and session.
 *
 * Polling every system each second costs the emulators more than anything
 * the manager asks of them once a fleet has hundreds of hosts (a System GET
 * is a dozen sqlite reads in sushy-tools). With `notifications` (sushy-tools
 * started with `notifyUrl: hub.url`) the sim looks at a system only when the
 * emulator reports a change to it (at the pending power change's apply time)
 * and when its own firmware delay runs out, plus one slow sweep over all
 * systems (`sweepMs`) in case a notification was lost. That is how Metal3's
 * fake-ipa learns of power changes from the same emulator.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { runAgentSession, type SimDeploy, type SimEvent } from "./sim-agent-session.js";

export interface SimSystem {
  /** `/redfish/v1/Systems/<id>` */
  readonly path: string;
  readonly name: string;
  readonly mac: string;
  /** The address its NIC would lease; reported in the inventory. */
  readonly ip?: string;
}

export interface SimAgentOptions {
  /** sushy-tools' root, `http://127.0.0.1:<port>`. */
  readonly redfishUrl: string;
  readonly auth?: { readonly username: string; readonly password: string };
  readonly systems: readonly SimSystem[];
  /** The manager's boot HTTP server, `http://127.0.0.1:<port>`. */
  readonly bootUrl: string;
  /** Pause between two rounds over all systems. @default 500 */
  readonly pollMs?: number;
  /** Redfish reads in flight at once. @default 8 */
  readonly redfishConcurrency?: number;
  readonly progressSteps?: number;
  readonly progressStepMs?: number;
  /** Power-on to the script request (POST, DHCP, iPXE). @default 1000 */
  readonly firmwareDelayMs?: number;
  /** Look at systems when the emulator reports a change, instead of polling each one every round. */
  readonly notifications?: SimNotifications;
  /** With `notifications`: the pause between two sweeps over all systems. @default 30000 */
  readonly sweepMs?: number;
}

/** What sushy-tools' fake driver PUTs to its EXTERNAL_NOTIFICATION_URL: the whole system record. */
interface FakeSystemRecord {
  readonly uuid?: unknown;
  readonly pending_power?: { readonly apply_time?: unknown } | null;
}

/**
 * The receiver of sushy-tools' external notifications, shared by every
 * emulator and sim: start it before the emulators (they need its URL) and
 * stop it after them (an unanswered notification fails the emulator's request).
 */
export interface SimNotifications {
  /** `http://127.0.0.1:<port>/`, for `startSushyTools({ notifyUrl })`. */
  readonly url: string;
  /** Calls `cb` with when (epoch ms) the system's pending power change applies, or now. Returns an unsubscribe. */
  subscribe(uuid: string, cb: (atMs: number) => void): () => void;
  readonly received: number;
  stop(): Promise<void>;
}

const MAX_NOTIFICATION_BYTES = 1 << 20;

export async function startSimNotifications(): Promise<SimNotifications> {
  const subs = new Map<string, (atMs: number) => void>();
  let received = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_NOTIFICATION_BYTES) chunks.push(c);
    });
    req.on("end", () => {
      res.writeHead(204).end();
      if (size > MAX_NOTIFICATION_BYTES) return;
      let rec: FakeSystemRecord;
      try {
        rec = JSON.parse(Buffer.concat(chunks).toString("utf8")) as FakeSystemRecord;
      } catch {
        return;
      }
      received++;
      const apply = rec.pending_power?.apply_time;
      // apply_time is whole epoch seconds; the change shows at the first read from then on.
      const at = typeof apply === "number" ? apply * 1000 + 50 : Date.now();
      if (typeof rec.uuid === "string") subs.get(rec.uuid)?.(at);
    });
  });
  // sushy-tools' requests.put opens a connection per notification.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    subscribe(uuid, cb) {
      subs.set(uuid, cb);
      return () => void (subs.get(uuid) === cb && subs.delete(uuid));
    },
    get received() {
      return received;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface SimAgent {
  /** Every deploy carried out, per MAC, in order. */
  readonly deploys: ReadonlyMap<string, readonly SimDeploy[]>;
  readonly events: readonly SimEvent[];
  /** Rounds over all systems so far. */
  readonly rounds: number;
  /** One line per host about what the sim believes and its last events, for failure messages. */
  explain(macs?: readonly string[]): string;
  stop(): Promise<void>;
}

const NETWORK_TARGETS = new Set(["Pxe", "UefiHttp"]);
/** PXE 2.1: DHCPDISCOVER is retried with 4, 8, 16 and 32 s timeouts before the ROM gives up. */
const PXE_GIVE_UP_MS = 60_000;
/** After an override turns to network boot, wait this much longer than a power-on's POST for the restart to land. */
const UNSEEN_RESTART_GRACE_MS = 2_000;

interface HostState {
  power: string | undefined;
  /** Booted into the current power-on already (ramdisk running, or disk). */
  booted: boolean;
  /** When this power-on was first seen. */
  onSince: number | undefined;
  /** BootSourceOverrideTarget at the last look. */
  target: string | undefined;
  session: { abort: AbortController; done: Promise<void> } | undefined;
}

export function startSimAgent(opts: SimAgentOptions): SimAgent {
  const stop = new AbortController();
  const deploys = new Map<string, SimDeploy[]>();
  const events: SimEvent[] = [];
  const onEvent = (e: SimEvent): void => void events.push(e);
  const state = new Map<string, HostState>(opts.systems.map((s) => [s.mac, { power: undefined, booted: false, onSince: undefined, target: undefined, session: undefined }]));
  const authHeader: Record<string, string> = opts.auth ? { Authorization: `Basic ${Buffer.from(`${opts.auth.username}:${opts.auth.password}`).toString("base64")}` } : {};
  let rounds = 0;

  const redfish = async (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(new URL(path, opts.redfishUrl), {
      ...init,
      headers: { ...authHeader, Accept: "application/json", ...(init.body ? { "Content-Type": "application/json" } : {}) },
      signal: AbortSignal.any([stop.signal, AbortSignal.timeout(10_000)]),
    });

  const powerOff = (sys: SimSystem) => async (): Promise<void> => {
    try {
      const res = await redfish(`${sys.path}/Actions/ComputerSystem.Reset`, { method: "POST", body: JSON.stringify({ ResetType: "ForceOff" }) });
      await res.arrayBuffer();
    } catch {
      /* the next round sees whatever the BMC holds */
    }
  };

  const endSession = async (st: HostState): Promise<void> => {
    const s = st.session;
    st.session = undefined;
    if (s) {
      s.abort.abort();
      await s.done;
    }
  };

  /** What iPXE does on a network boot: fetch this MAC's script and follow it. */
  const netboot = async (sys: SimSystem, st: HostState): Promise<void> => {
    let script: string | undefined;
    let unreachable = false;
    try {
      const res = await fetch(`${opts.bootUrl}/ipxe/${sys.mac.replace(/:/g, "-")}`, { signal: AbortSignal.any([stop.signal, AbortSignal.timeout(10_000)]) });
      script = res.status === 200 ? await res.text() : (await res.arrayBuffer(), undefined);
    } catch {
      script = undefined;
      unreachable = !stop.signal.aborted;
    }
    if (stop.signal.aborted) return;
    const kernel = script?.split("\n").find((l) => l.startsWith("kernel "));
    const arg = (k: string): string | undefined => kernel?.split(/\s+/).find((w) => w.startsWith(`${k}=`))?.slice(k.length + 1);
    const api = arg("anvil.api");
    const token = arg("anvil.token");
    const target = script === undefined ? "unknown" : api && token ? "ramdisk" : /sanboot|# Anvil: local disk/.test(script) ? "local-disk" : "none";
    if (script === undefined && !unreachable) {
      // 404: iPXE's `chain ... || exit` leaves network boot and the firmware boots the disk.
      st.booted = true;
      onEvent({ at: Date.now(), mac: sys.mac, kind: "boot", target: "local-disk" });
      return;
    }
    if (script === undefined) {
      // Nobody answers (the manager is restarting): the ROM keeps asking for a while.
      if (Date.now() - (st.onSince ?? 0) < PXE_GIVE_UP_MS) return;
      st.booted = true;
      onEvent({ at: Date.now(), mac: sys.mac, kind: "boot", target: "unknown" });
      return;
    }
    onEvent({ at: Date.now(), mac: sys.mac, kind: "boot", target });
    st.booted = true;
    if (target !== "ramdisk" || api === undefined || token === undefined) return;
    const abort = new AbortController();
    const signal = AbortSignal.any([stop.signal, abort.signal]);
    const done = runAgentSession({
      api,
      token,
      mac: sys.mac,
      ip: sys.ip ?? "192.0.2.1",
      signal,
      onEvent,
      onDeploy: (d) => {
        const list = deploys.get(sys.mac) ?? [];
        list.push(d);
        deploys.set(sys.mac, list);
      },
      powerOff: powerOff(sys),
      ...(opts.progressSteps !== undefined ? { progressSteps: opts.progressSteps } : {}),
      ...(opts.progressStepMs !== undefined ? { progressStepMs: opts.progressStepMs } : {}),
    }).then((why) => {
      if (st.session?.abort === abort) st.session = undefined;
      // Refused: the manager moved on to a newer ramdisk while this one ran; boot again.
      if (why === "unauthorized") {
        st.booted = false;
        st.onSince = Date.now();
        afterLook(sys);
      }
    });
    st.session = { abort, done };
  };

  const look = async (sys: SimSystem): Promise<void> => {
    const st = state.get(sys.mac)!;
    let body: { PowerState?: unknown; Boot?: { BootSourceOverrideTarget?: unknown } };
    try {
      const res = await redfish(sys.path);
      if (!res.ok) return void (await res.arrayBuffer());
      body = (await res.json()) as typeof body;
    } catch {
      return;
    }
    const power = typeof body.PowerState === "string" ? body.PowerState : undefined;
    const target = typeof body.Boot?.BootSourceOverrideTarget === "string" ? body.Boot.BootSourceOverrideTarget : "None";
    st.power = power;
    const turnedToNetwork = st.target !== undefined && !NETWORK_TARGETS.has(st.target) && NETWORK_TARGETS.has(target);
    st.target = target;
    if (power === "On" && st.booted && st.session === undefined && turnedToNetwork) {
      // Running from disk and now told to network-boot: a restart is coming or came unseen.
      st.booted = false;
      st.onSince = Date.now() + UNSEEN_RESTART_GRACE_MS;
    }
    if (power !== "On") {
      // Power lost: the ramdisk (or OS) is gone; the next power-on boots afresh.
      st.booted = false;
      st.onSince = undefined;
      await endSession(st);
      return;
    }
    st.onSince ??= Date.now();
    if (st.booted || Date.now() - st.onSince < (opts.firmwareDelayMs ?? 1000)) return;
    if (NETWORK_TARGETS.has(target)) await netboot(sys, st);
    else {
      st.booted = true;
      onEvent({ at: Date.now(), mac: sys.mac, kind: "boot", target: "local-disk" });
    }
  };

  /** One look at a time per system; a wake during a look runs another right after it. */
  const running = new Set<string>();
  const again = new Set<string>();
  const lookOnce = async (sys: SimSystem): Promise<void> => {
    if (running.has(sys.mac)) return void again.add(sys.mac);
    running.add(sys.mac);
    try {
      do {
        again.delete(sys.mac);
        await look(sys);
      } while (again.has(sys.mac) && !stop.signal.aborted);
    } finally {
      running.delete(sys.mac);
    }
    afterLook(sys);
  };

  /** Notification mode: per system, the one pending timer (the earliest asked for). */
  const timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  const wake = (sys: SimSystem, at: number): void => {
    if (stop.signal.aborted) return;
    const pending = timers.get(sys.mac);
    if (pending !== undefined && pending.at <= at) return;
    if (pending !== undefined) clearTimeout(pending.timer);
    const timer = setTimeout(
      () => {
        timers.delete(sys.mac);
        void lookOnce(sys);
      },
      Math.max(0, at - Date.now()),
    );
    timers.set(sys.mac, { at, timer });
  };
  /** What a look leaves to do later: the end of the firmware delay, or the next DHCP retry while the manager is away. */
  const afterLook = (sys: SimSystem): void => {
    if (opts.notifications === undefined) return;
    const st = state.get(sys.mac)!;
    if (st.power === "On" && !st.booted && st.onSince !== undefined) wake(sys, Math.max(st.onSince + (opts.firmwareDelayMs ?? 1000), Date.now() + 1000));
  };
  const uuidOf = (sys: SimSystem): string => decodeURIComponent(sys.path.split("/").pop() ?? "");
  const unsubscribe = opts.notifications === undefined ? [] : opts.systems.map((sys) => opts.notifications!.subscribe(uuidOf(sys), (at) => wake(sys, at)));

  const loop = (async () => {
    const width = Math.max(1, opts.redfishConcurrency ?? 8);
    const pause = opts.notifications !== undefined ? (opts.sweepMs ?? 30_000) : (opts.pollMs ?? 500);
    while (!stop.signal.aborted) {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (!stop.signal.aborted && next < opts.systems.length) await lookOnce(opts.systems[next++]!);
      };
      await Promise.all(Array.from({ length: Math.min(width, opts.systems.length) }, worker));
      rounds++;
      await sleep(pause, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  })();

  return {
    deploys,
    events,
    get rounds() {
      return rounds;
    },
    explain(macs = opts.systems.map((x) => x.mac)) {
      return macs
        .map((mac) => {
          const st = state.get(mac);
          const last = events.filter((e) => e.mac === mac).slice(-8);
          const ev = last.map((e) => `${new Date(e.at).toISOString().slice(11, 23)} ${JSON.stringify({ ...e, at: undefined, mac: undefined })}`).join("\n    ");
          return `${mac}: power=${st?.power} target=${st?.target} booted=${st?.booted} session=${st?.session !== undefined}\n    ${ev}`;
        })
        .join("\n");
    },
    async stop() {
      stop.abort();
      for (const u of unsubscribe) u();
      for (const { timer } of timers.values()) clearTimeout(timer);
      timers.clear();
      await loop;
      // Every look's requests end with the stop signal; bounded all the same.
      for (let i = 0; running.size > 0 && i < 300; i++) await sleep(50);
      await Promise.all([...state.values()].map((st) => endSession(st)));
    },
  };
}
