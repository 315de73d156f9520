/** Figures every benchmark reports the same way: quantiles, and a live process's peak memory and CPU. */
import { readFile } from "node:fs/promises";

/** The q-quantile (nearest rank) of `xs`; NaN when empty. */
export const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? Number.NaN;
};

/** Peak resident set (VmHWM, KiB → MiB) and CPU seconds of a live process (proc(5)). */
export async function procFigures(pid: number): Promise<{ peakRssMiB: number; cpuS: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const hwm = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // After the parenthesised comm, utime and stime (fields 14 and 15) are at indices 11 and 12.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { peakRssMiB: hwm / 1024, cpuS: (Number(fields[11]) + Number(fields[12])) / 100 };
}
