import { describe, expect, it } from "vitest";
import { MetricError, Registry } from "./metrics.js";
import { registerRuntimeMetrics } from "./runtime-metrics.js";

describe("Registry text exposition", () => {
  it("renders a labelled counter with HELP and TYPE lines", () => {
    const r = new Registry();
    const c = r.counter("controller_runtime_reconcile_total", "Reconciles.", ["controller", "result"]);
    c.inc({ controller: "host", result: "success" });
    c.inc({ controller: "host", result: "success" }, 2);
    c.inc({ controller: "host", result: "error" });
    expect(r.render()).toBe(
      [
        "# HELP controller_runtime_reconcile_total Reconciles.",
        "# TYPE controller_runtime_reconcile_total counter",
        'controller_runtime_reconcile_total{controller="host",result="success"} 3',
        'controller_runtime_reconcile_total{controller="host",result="error"} 1',
        "",
      ].join("\n"),
    );
  });

  it("renders cumulative histogram buckets ending in +Inf, with _sum and _count", () => {
    const r = new Registry();
    const h = r.histogram("op_seconds", "Op time.", ["op"], [0.1, 1]);
    for (const v of [0.05, 0.5, 0.7, 3]) h.observe({ op: "power" }, v);
    expect(r.render().split("\n").slice(2, -1)).toEqual([
      'op_seconds_bucket{op="power",le="0.1"} 1',
      'op_seconds_bucket{op="power",le="1"} 3',
      'op_seconds_bucket{op="power",le="+Inf"} 4',
      'op_seconds_sum{op="power"} 4.25',
      'op_seconds_count{op="power"} 4',
    ]);
  });

  it("escapes backslash, quote and newline in label values, and backslash and newline in HELP", () => {
    const r = new Registry();
    r.gauge("g", "a\\b\nc", ["l"]).set({ l: 'x"y\\z\nw' }, 1);
    expect(r.render()).toBe(['# HELP g a\\\\b\\nc', "# TYPE g gauge", 'g{l="x\\"y\\\\z\\nw"} 1', ""].join("\n"));
  });

  it("samples a gauge at scrape time through its collector", () => {
    const r = new Registry();
    let depth = 0;
    const g = r.gauge("workqueue_depth", "Depth.", ["name"]);
    g.onCollect(() => g.set({ name: "host" }, depth));
    depth = 7;
    expect(r.render()).toContain('workqueue_depth{name="host"} 7');
  });

  it("brings a counter up to a count kept elsewhere at scrape time through its collector", () => {
    const r = new Registry();
    let served = 2;
    const c = r.counter("served_total", "Served.", ["route"]);
    c.onCollect(() => c.inc({ route: "a" }, served - c.get({ route: "a" })));
    expect(r.render()).toContain('served_total{route="a"} 2');
    served = 5;
    expect(r.render()).toContain('served_total{route="a"} 5');
  });

  it.each([
    ["a bad metric name", (r: Registry) => r.counter("1bad", "x")],
    ["a reserved label name", (r: Registry) => r.counter("ok", "x", ["__name"])],
    ["le on a histogram", (r: Registry) => r.histogram("ok", "x", ["le"])],
    ["a duplicate metric", (r: Registry) => (r.counter("dup", "x"), r.counter("dup", "x"))],
    ["wrong labels", (r: Registry) => r.counter("c", "x", ["a"]).inc({ b: "1" })],
    ["a counter going down", (r: Registry) => r.counter("c2", "x").inc({}, -1)],
  ])("refuses %s with a MetricError", (_what, fn) => {
    expect(() => fn(new Registry())).toThrow(MetricError);
  });

  it("registers the runtime's and the controllers' metrics under fixed names", () => {
    const r = new Registry();
    const m = registerRuntimeMetrics(r);
    m.hostsByState.set({ state: "available" }, 3);
    m.bmcOperationDuration.observe({ driver: "redfish", operation: "power-on" }, 0.2);
    m.bmcOperationErrors.inc({ driver: "ipmi", operation: "power-status", code: "BMC_UNREACHABLE" });
    const text = r.render();
    expect(text).toContain('anvil_hosts{state="available"} 3');
    expect(text).toContain('anvil_bmc_operation_duration_seconds_count{driver="redfish",operation="power-on"} 1');
    expect(text).toContain('anvil_bmc_operation_errors_total{driver="ipmi",operation="power-status",code="BMC_UNREACHABLE"} 1');
    for (const line of text.split("\n").filter((l) => l && !l.startsWith("#"))) {
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? \S+$/);
    }
  });
});
