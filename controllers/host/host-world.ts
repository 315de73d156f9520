/**
 * A test world for the state machine: the host lives only as JSON (as in the
 * API server), and every step builds a fresh scope from it, calls
 * reconcileHost, and applies the result the way the Kubernetes controller
 * will (status, finalizer, annotations). Nothing else carries over between
 * steps, so every step is also a restart of the manager.
 */
import { BAREMETALHOST_FINALIZER, ProvisioningState, type BareMetalHost } from "../../api/index.js";
import { FixtureBmc } from "../../bmc/fixture/fixture-bmc.js";
import { FixtureProvisioner } from "./fixture-provisioner.js";
import { DEFAULT_TIMING, type CredentialsLookup, type HostEvent, type HostScope } from "./host-scope.js";
import { reconcileHost, type HostReconcileResult } from "./reconcile-host.js";

export interface WorldOptions {
  readonly name?: string;
  readonly spec?: Partial<BareMetalHost["spec"]>;
  readonly annotations?: Record<string, string>;
}

export class HostWorld {
  stored: string;
  /** Replace it to model a BMC that was fixed or swapped. */
  bmc = new FixtureBmc({ power: "off" });
  readonly provisioner = new FixtureProvisioner();
  /** The BMC Secret as the API server holds it; only its presence and version reach the scope. */
  secret: { username: string; password: string; version: string } | undefined = { username: "admin", password: "s3cr3t-Pa55word", version: "1" };
  /** When false, the world hands the machine no BMC client (the caller failed to connect). */
  bmcUsable = true;
  capacity = true;
  /** What the Kubernetes side would report about the deploy's Secrets (e.g. a missing user-data Secret). */
  deployInputsProblem: string | undefined = undefined;
  nowMs = Date.parse("2025-01-01T00:00:00Z");
  /** When the simulated manager process started (HostScope.processStartedAt); set it to play a restart. */
  processStartedAt: Date | undefined = undefined;
  readonly results: HostReconcileResult[] = [];
  readonly events: HostEvent[] = [];

  constructor(opts: WorldOptions = {}) {
    this.provisioner.now = () => this.nowMs;
    const host: BareMetalHost = {
      apiVersion: "metal3.io/v1alpha1",
      kind: "BareMetalHost",
      metadata: { name: opts.name ?? "node-0", namespace: "lab", uid: "uid-0", generation: 1, annotations: { ...opts.annotations } },
      spec: { online: true, bmc: { address: "redfish://192.0.2.1/redfish/v1/Systems/1", credentialsName: "node-0-bmc" }, ...opts.spec },
    };
    this.stored = JSON.stringify(host);
  }

  get host(): BareMetalHost {
    return JSON.parse(this.stored) as BareMetalHost;
  }

  get state(): string {
    return this.host.status?.provisioning.state ?? "";
  }

  edit(change: (h: BareMetalHost) => void, opts: { bumpGeneration?: boolean } = {}): void {
    const h = this.host;
    change(h);
    if (opts.bumpGeneration !== false) h.metadata.generation = (h.metadata.generation ?? 0) + 1;
    this.stored = JSON.stringify(h);
  }

  scope(): HostScope {
    const host = this.host;
    const name = host.spec.bmc?.credentialsName ?? "";
    const credentials: CredentialsLookup =
      this.secret === undefined ? { kind: "missing", secretName: name } : { kind: "present", secretName: name, version: this.secret.version };
    return {
      host,
      bmc: this.secret !== undefined && this.bmcUsable ? this.bmc : undefined,
      credentials,
      clock: { now: () => new Date(this.nowMs) },
      limiter: { hasCapacity: () => this.capacity },
      provisioner: this.provisioner,
      hostKey: `${host.metadata.namespace ?? ""}/${host.metadata.name ?? ""}`,
      timing: DEFAULT_TIMING,
      ...(this.deployInputsProblem !== undefined ? { deployInputsProblem: this.deployInputsProblem } : {}),
      ...(this.processStartedAt !== undefined ? { processStartedAt: this.processStartedAt } : {}),
    };
  }

  /** One reconcile, then the clock moves to when the result asked to be looked at again (at least 1 s). */
  async step(): Promise<HostReconcileResult> {
    const result = await reconcileHost(this.scope());
    this.results.push(result);
    this.events.push(...result.events);
    const h = this.host;
    // Stored as the API server hands it back: custom resources are maps, and Go's encoding/json sorts map keys.
    if (result.statusPatch !== undefined) h.status = sortedKeys(result.statusPatch);
    const finalizers = new Set(h.metadata.finalizers ?? []);
    if (result.finalizer === "add") finalizers.add(BAREMETALHOST_FINALIZER);
    if (result.finalizer === "remove") finalizers.delete(BAREMETALHOST_FINALIZER);
    h.metadata.finalizers = [...finalizers];
    for (const key of result.removeAnnotations) delete h.metadata.annotations?.[key];
    this.stored = JSON.stringify(h);
    this.nowMs += Math.max(1_000, result.requeueAfterMs ?? 1_000);
    return result;
  }

  /** Steps until `state` is reached (or `until` holds); throws after `maxSteps` so no test loops forever. */
  async runTo(state: string, maxSteps = 40, until?: (w: HostWorld) => boolean): Promise<void> {
    for (let i = 0; i < maxSteps; i++) {
      if (until !== undefined ? until(this) : this.state === state) return;
      await this.step();
    }
    throw new Error(`host stuck in "${this.state}" (${this.host.status?.operationalStatus ?? ""}: ${this.host.status?.errorMessage ?? ""}) waiting for "${state}"`);
  }

  /** A reconcile whose result is lost, as when the manager dies before writing status. */
  async crashedStep(): Promise<void> {
    await reconcileHost(this.scope());
  }
}

export const S = ProvisioningState;

/** A copy of a JSON value with every object's keys in sorted order. */
function sortedKeys<T>(value: T): T {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v === null || typeof v !== "object") return v;
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]));
  };
  return sort(JSON.parse(JSON.stringify(value))) as T;
}
