/**
 * Records events.k8s.io/v1 Events about objects, through the aggregator and
 * a redaction function. Sending never blocks or fails a reconcile: an Event
 * is a hint for humans, and the API server being slow must not stall hosts.
 */
import { randomBytes } from "node:crypto";
import { EventAggregator, type EventAggregatorOptions, type EventKey } from "./event-aggregator.js";
import { silentLogger, type Logger } from "./logger.js";
import { EventKind, type KubeObject } from "./object.js";
import { redactText } from "./redact.js";
import { PatchType, ResourceClient } from "./resource-client.js";
import type { Transport } from "./transport.js";

export interface EventRecorderOptions extends EventAggregatorOptions {
  /** `reportingController`, e.g. "anvil.metal3.io/host-controller". */
  readonly controller: string;
  /** `reportingInstance`: the pod or process name. @default os hostname + pid */
  readonly instance?: string;
  /** Applied to every note after the built-in redaction. */
  readonly redact?: (text: string) => string;
  readonly logger?: Logger;
  /** Called when the aggregator drops an event (metrics). */
  readonly onDrop?: (reason: string) => void;
}

export interface EventsV1 extends KubeObject {
  eventTime?: string;
  reportingController?: string;
  reportingInstance?: string;
  action?: string;
  reason?: string;
  note?: string;
  type?: string;
  regarding?: { apiVersion?: string; kind?: string; name?: string; namespace?: string; uid?: string; resourceVersion?: string };
  series?: { count: number; lastObservedTime: string };
}

/** MicroTime: RFC 3339 with six fractional digits, as meta/v1 MicroTime serialises. */
const microTime = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");

export class EventRecorder {
  readonly #client: ResourceClient<EventsV1>;
  readonly #agg: EventAggregator;
  readonly #opts: EventRecorderOptions;
  readonly #log: Logger;
  readonly #pending = new Set<Promise<void>>();

  constructor(transport: Transport, opts: EventRecorderOptions) {
    this.#client = new ResourceClient<EventsV1>(transport, EventKind);
    this.#agg = new EventAggregator(opts);
    this.#opts = opts;
    this.#log = (opts.logger ?? silentLogger).with({ component: "events" });
  }

  normal(obj: KubeObject, reason: string, action: string, note: string): void {
    this.record(obj, "Normal", reason, action, note);
  }

  warning(obj: KubeObject, reason: string, action: string, note: string): void {
    this.record(obj, "Warning", reason, action, note);
  }

  record(obj: KubeObject, type: "Normal" | "Warning", reason: string, action: string, rawNote: string): void {
    const meta = obj.metadata ?? {};
    const redactExtra = this.#opts.redact ?? ((t: string) => t);
    // events.k8s.io/v1 limits note to 1 kB.
    const note = redactExtra(redactText(rawNote)).slice(0, 1024);
    const key: EventKey = { objectUid: meta.uid ?? `${meta.namespace}/${meta.name}`, type, reason, note };
    const decision = this.#agg.decide(key);
    if (decision.action === "drop") {
      this.#opts.onDrop?.(reason);
      return;
    }
    const now = Date.now();
    const namespace = meta.namespace ?? "default";
    const send = async (): Promise<void> => {
      if (decision.action === "update") {
        await this.#client.patch(namespace, decision.name, { series: { count: decision.count, lastObservedTime: microTime(now) } }, PatchType.Merge);
        return;
      }
      const created = await this.#client.create({
        metadata: { name: `${meta.name ?? "object"}.${randomBytes(8).toString("hex")}`, namespace },
        eventTime: microTime(now),
        reportingController: this.#opts.controller,
        reportingInstance: this.#opts.instance ?? `anvil-${process.pid}`,
        action,
        reason,
        note,
        type,
        regarding: {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          name: meta.name,
          namespace: meta.namespace,
          uid: meta.uid,
          resourceVersion: meta.resourceVersion,
        },
      });
      if (created.metadata?.name) this.#agg.created(key, created.metadata.name);
    };
    const p = send().catch((err: unknown) => this.#log.warn("event not recorded", { reason, error: err }));
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  /** Waits for events in flight (shutdown, tests). */
  async flush(): Promise<void> {
    await Promise.all([...this.#pending]);
  }
}
