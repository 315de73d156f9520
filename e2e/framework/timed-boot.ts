/**
 * One timed network boot of a test VM: start it, note when the boot server
 * first sees its HTTP request (from the server's log) and when the payload's
 * report arrives (from the recorder), then let it power off. All times are
 * milliseconds since qemu was spawned, on this machine's one clock.
 */
import type { BootLan } from "./boot-lan.js";
import type { HttpRecorder } from "./http-recorder.js";
import { firstLogLine, logOffset } from "./log-watch.js";
import { startVm, type Vm, type VmOptions } from "./qemu.js";
import { parseBootReport, type BootReport } from "./test-initramfs.js";

export interface TimedBoot {
  /** VM start → the boot server logs the first matching HTTP request. */
  readonly firstHttpMs: number;
  /** VM start → the payload's report reaches the recorder. */
  readonly reportMs: number;
  readonly report: BootReport;
  /** The remote address the report came from. */
  readonly reportFrom: string;
  /** qemu's exit code after the guest powered off. */
  readonly exitCode: number | null;
  readonly vm: Vm;
}

export interface TimedBootOptions {
  readonly net: BootLan;
  readonly vm: Omit<VmOptions, "tap">;
  /** The tap for the VM (created on the LAN bridge if it does not exist yet). */
  readonly tap: string;
  readonly recorder: HttpRecorder;
  /** The boot server's log and the line that marks this VM's first HTTP request. */
  readonly firstHttp: {
    readonly file: string;
    readonly pattern: RegExp;
    /** The line's own timestamp, when the server writes one; else the time the line was seen. */
    readonly lineTime?: (line: string) => number | undefined;
  };
  /** @default 120_000 */
  readonly timeoutMs?: number;
}

export async function timedBoot(o: TimedBootOptions): Promise<TimedBoot> {
  const timeoutMs = o.timeoutMs ?? 120_000;
  const from = logOffset(o.firstHttp.file);
  const vm = startVm(o.net.lab, o.net.lan, { ...o.vm, tap: o.tap });
  try {
    const exitedEarly = (): string | undefined =>
      vm.process.child.exitCode === null ? undefined : `qemu exited (${vm.process.child.exitCode})\n${vm.serial().slice(-2000)}`;
    const http = firstLogLine(o.firstHttp.file, o.firstHttp.pattern, { timeoutMs, fromOffset: from, abort: exitedEarly });
    const report = o.recorder.next(
      (r) => r.path === "/report" && r.at >= vm.startedAt && parseBootReport(r.body).mac === o.vm.mac,
      timeoutMs,
      exitedEarly,
    );
    const [h, r] = await Promise.all([http, report]);
    const exit = await vm.waitForExit(30_000);
    return {
      firstHttpMs: (o.firstHttp.lineTime?.(h.line) ?? h.at) - vm.startedAt,
      reportMs: r.at - vm.startedAt,
      report: parseBootReport(r.body),
      reportFrom: r.remote,
      exitCode: exit.code,
      vm,
    };
  } finally {
    await vm.stop();
  }
}
