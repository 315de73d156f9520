import { describe, expect, it } from "vitest";
import { Registry } from "./metrics.js";
import { registerProcessMetrics } from "./process-metrics.js";
import { parseScrape } from "./scrape.test-helper.js";

function sample(text: string, name: string): number {
  const v = parseScrape(text).get(name);
  if (v === undefined) throw new Error(`${name} missing from the scrape`);
  return v;
}

describe("process metrics", () => {
  it.each([
    ["process_resident_memory_bytes", 1 << 20],
    ["anvil_process_peak_resident_memory_bytes", 1 << 20],
    ["nodejs_heap_size_used_bytes", 1 << 20],
    ["nodejs_heap_size_total_bytes", 1 << 20],
    ["process_start_time_seconds", Date.parse("2020-01-01T00:00:00Z") / 1000],
  ])("report %s as a plausible value", (name, atLeast) => {
    const r = new Registry();
    registerProcessMetrics(r);
    expect(sample(r.render(), name)).toBeGreaterThan(atLeast);
  });

  it("count CPU seconds upwards from scrape to scrape, matching the process's own count", () => {
    const r = new Registry();
    registerProcessMetrics(r);
    const first = sample(r.render(), "process_cpu_seconds_total");
    let x = 0;
    for (let i = 0; i < 2_000_000; i++) x += Math.sqrt(i);
    expect(x).toBeGreaterThan(0);
    const second = sample(r.render(), "process_cpu_seconds_total");
    const own = process.cpuUsage();
    expect(second).toBeGreaterThan(first);
    expect(second).toBeLessThanOrEqual((own.user + own.system) / 1e6);
  });

  it("keep the peak resident size at or above the current one", () => {
    const r = new Registry();
    registerProcessMetrics(r);
    const text = r.render();
    expect(sample(text, "anvil_process_peak_resident_memory_bytes")).toBeGreaterThanOrEqual(sample(text, "process_resident_memory_bytes") * 0.9);
  });
});
