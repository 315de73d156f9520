/**
 * A small Prometheus registry: counters, gauges and histograms with labels,
 * rendered in the text exposition format 0.0.4 (Prometheus docs,
 * "Exposition formats": `# HELP`, `# TYPE`, one sample per line, histogram
 * `_bucket{le}` cumulative with a `+Inf` bucket, `_sum`, `_count`).
 * Why not prom-client: see docs/adr/0005-reconcile-shape.md.
 */
export type Labels = Readonly<Record<string, string>>;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export class MetricError extends Error {
  override readonly name = "MetricError";
  readonly code = "METRIC_INVALID";
}

/** Label values escape `\`, `"` and newline; HELP text escapes `\` and newline (exposition format). */
const escapeLabel = (v: string): string => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const escapeHelp = (v: string): string => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

function labelText(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i] ?? "")}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

abstract class Metric {
  protected readonly series = new Map<string, { values: string[] }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    if (!NAME.test(name)) throw new MetricError(`invalid metric name ${JSON.stringify(name)}`);
    for (const l of labelNames) {
      if (!LABEL.test(l) || l.startsWith("__") || l === "le") throw new MetricError(`invalid label name ${JSON.stringify(l)} on ${name}`);
    }
  }
  abstract readonly type: "counter" | "gauge" | "histogram";
  protected valuesOf(labels: Labels): string[] {
    const keys = Object.keys(labels);
    if (keys.length !== this.labelNames.length || keys.some((k) => !this.labelNames.includes(k))) {
      throw new MetricError(`${this.name} takes labels [${this.labelNames.join(", ")}], got [${keys.join(", ")}]`);
    }
    return this.labelNames.map((n) => labels[n] ?? "");
  }
  protected abstract samples(): string[];
  render(): string {
    return [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`, ...this.samples()].join("\n");
  }
}

export class Counter extends Metric {
  readonly type = "counter";
  readonly #v = new Map<string, [string[], number]>();
  #collect: (() => void) | undefined;
  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new MetricError(`${this.name}: a counter only goes up (got ${by})`);
    const values = this.valuesOf(labels);
    const k = values.join("\u0000");
    const cur = this.#v.get(k);
    this.#v.set(k, [values, (cur?.[1] ?? 0) + by]);
  }
  get(labels: Labels = {}): number {
    return this.#v.get(this.valuesOf(labels).join("\u0000"))?.[1] ?? 0;
  }
  /** Runs `fn` before each render, to bring the counter up to a count kept elsewhere (client_golang's CounterFunc). */
  onCollect(fn: () => void): this {
    this.#collect = fn;
    return this;
  }
  protected samples(): string[] {
    this.#collect?.();
    return [...this.#v.values()].map(([vals, n]) => `${this.name}${labelText(this.labelNames, vals)} ${formatValue(n)}`);
  }
}

export class Gauge extends Metric {
  readonly type = "gauge";
  readonly #v = new Map<string, [string[], number]>();
  #collect: (() => void) | undefined;
  set(labels: Labels, value: number): void {
    const values = this.valuesOf(labels);
    this.#v.set(values.join("\u0000"), [values, value]);
  }
  inc(labels: Labels = {}, by = 1): void {
    this.set(labels, this.get(labels) + by);
  }
  dec(labels: Labels = {}, by = 1): void {
    this.set(labels, this.get(labels) - by);
  }
  get(labels: Labels = {}): number {
    return this.#v.get(this.valuesOf(labels).join("\u0000"))?.[1] ?? 0;
  }
  /** Drops every series (before a collector sets the current ones). */
  reset(): void {
    this.#v.clear();
  }
  /** Runs `fn` before each render, to set values sampled at scrape time (queue depth, hosts per state). */
  onCollect(fn: () => void): this {
    this.#collect = fn;
    return this;
  }
  protected samples(): string[] {
    this.#collect?.();
    return [...this.#v.values()].map(([vals, n]) => `${this.name}${labelText(this.labelNames, vals)} ${formatValue(n)}`);
  }
}

/** Seconds buckets from 5 ms to 60 s: reconciles and BMC calls both fall in this range. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class Histogram extends Metric {
  readonly type = "histogram";
  readonly buckets: readonly number[];
  readonly #v = new Map<string, { values: string[]; counts: number[]; sum: number; count: number }>();
  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[] = DEFAULT_BUCKETS) {
    super(name, help, labelNames);
    const sorted = [...buckets].sort((a, b) => a - b);
    if (sorted.length === 0 || sorted.some((b, i) => !Number.isFinite(b) || (i > 0 && b === sorted[i - 1]))) {
      throw new MetricError(`${name}: buckets must be distinct finite numbers`);
    }
    this.buckets = sorted;
  }
  observe(labels: Labels, value: number): void {
    const values = this.valuesOf(labels);
    const k = values.join("\u0000");
    let s = this.#v.get(k);
    if (!s) this.#v.set(k, (s = { values, counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    // Each sample counts in its own bucket only; render() makes them cumulative.
    const i = this.buckets.findIndex((b) => value <= b);
    if (i >= 0) s.counts[i] = (s.counts[i] ?? 0) + 1;
    s.sum += value;
    s.count += 1;
  }
  count(labels: Labels = {}): number {
    return this.#v.get(this.valuesOf(labels).join("\u0000"))?.count ?? 0;
  }
  protected samples(): string[] {
    const out: string[] = [];
    for (const s of this.#v.values()) {
      let acc = 0;
      this.buckets.forEach((b, i) => {
        acc += s.counts[i] ?? 0;
        out.push(`${this.name}_bucket${labelText(this.labelNames, s.values, ["le", formatValue(b)])} ${acc}`);
      });
      out.push(`${this.name}_bucket${labelText(this.labelNames, s.values, ["le", "+Inf"])} ${s.count}`);
      out.push(`${this.name}_sum${labelText(this.labelNames, s.values)} ${formatValue(s.sum)}`);
      out.push(`${this.name}_count${labelText(this.labelNames, s.values)} ${s.count}`);
    }
    return out;
  }
}

export class Registry {
  readonly #metrics = new Map<string, Metric>();

  #add<M extends Metric>(m: M): M {
    if (this.#metrics.has(m.name)) throw new MetricError(`metric ${m.name} is already registered`);
    this.#metrics.set(m.name, m);
    return m;
  }
  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.#add(new Counter(name, help, labelNames));
  }
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.#add(new Gauge(name, help, labelNames));
  }
  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets?: readonly number[]): Histogram {
    return this.#add(new Histogram(name, help, labelNames, buckets));
  }
  get(name: string): Metric | undefined {
    return this.#metrics.get(name);
  }
  /** The whole registry in the text exposition format, ending with a newline. */
  render(): string {
    return [...this.#metrics.values()].map((m) => m.render()).join("\n") + "\n";
  }
}

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
