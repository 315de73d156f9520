/**
 * The process metrics every Prometheus client library exports under the
 * same names ("Writing client libraries", Standard and runtime collectors):
 * resident memory, CPU seconds and start time, plus the V8 heap. Sampled at
 * scrape time, so a dashboard or a benchmark sees the manager's memory
 * without reading /proc from beside it.
 */
import { readFileSync } from "node:fs";
import type { Registry } from "./metrics.js";

export function registerProcessMetrics(r: Registry): void {
  const startedSec = Math.round((Date.now() - process.uptime() * 1000) / 1000);
  r.gauge("process_start_time_seconds", "Start time of the process since the Unix epoch, in seconds.").set({}, startedSec);
  const cpu = r.counter("process_cpu_seconds_total", "User and system CPU time spent, in seconds.");
  let counted = 0;
  cpu.onCollect(() => {
    const u = process.cpuUsage();
    const total = (u.user + u.system) / 1e6;
    if (total > counted) cpu.inc({}, total - counted);
    counted = Math.max(counted, total);
  });
  const rss = r.gauge("process_resident_memory_bytes", "Resident memory size, in bytes.");
  rss.onCollect(() => rss.set({}, process.memoryUsage.rss()));
  const peak = r.gauge("anvil_process_peak_resident_memory_bytes", "Highest resident memory size so far (VmHWM in /proc/self/status), in bytes.");
  peak.onCollect(() => {
    const hwm = peakRssBytes();
    if (hwm !== undefined) peak.set({}, hwm);
  });
  const memory: [string, string, (m: NodeJS.MemoryUsage) => number][] = [
    ["nodejs_heap_size_used_bytes", "V8 heap in use, in bytes.", (m) => m.heapUsed],
    ["nodejs_heap_size_total_bytes", "V8 heap reserved, in bytes.", (m) => m.heapTotal],
    ["nodejs_external_memory_bytes", "Memory outside the V8 heap held by JavaScript objects (Buffers), in bytes.", (m) => m.external],
  ];
  for (const [name, help, pick] of memory) {
    const g = r.gauge(name, help);
    g.onCollect(() => g.set({}, pick(process.memoryUsage())));
  }
}

/** VmHWM from proc(5)'s /proc/self/status; undefined off Linux. */
function peakRssBytes(): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    return m?.[1] === undefined ? undefined : Number(m[1]) * 1024;
  } catch {
    return undefined;
  }
}
