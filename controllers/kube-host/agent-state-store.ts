/**
 * Reads and writes the per-host agent-state Secrets (agent-state.ts). Reads
 * come from the shared Secret cache plus our own latest writes, so the
 * agent's once-a-second polls cost no API call; every write carries the
 * resourceVersion it was computed from, and a conflict re-reads and applies
 * the change again (runtime `updateObject`). A token index (sha256 of the
 * token → host) is kept from the same events, so authenticating an agent
 * needs no API call either.
 */
import { createHash } from "node:crypto";
import type { BareMetalHost } from "../../api/index.js";
import { isApiError, ApiErrorCode, isNotFound, keyOf, updateObject, type Informer, type ResourceClient } from "../runtime/index.js";
import {
  agentStateName,
  encodeState,
  isAgentStateSecret,
  newAgentStateSecret,
  newToken,
  ownerHostKey,
  parseAgentRecord,
  STATE_KEY,
  type AgentRecord,
  type AgentState,
} from "./agent-state.js";
import { FreshCache } from "./fresh-cache.js";
import type { Secret } from "./secret.js";

/** Returns the next state, or undefined to write nothing. Must depend on its argument only: it is re-run after a conflict. */
export type AgentStateChange = (current: AgentState) => AgentState | undefined;

const tokenHash = (token: string): string => createHash("sha256").update(token).digest("hex");

export class AgentStateStore {
  readonly #client: ResourceClient<Secret>;
  readonly #secrets: FreshCache<Secret>;
  /** sha256(token) → host key; a Map lookup on a digest leaks nothing useful about the token. */
  readonly #byToken = new Map<string, string>();
  /** secret key → sha256(token), to drop the index entry when the Secret goes. */
  readonly #tokenOf = new Map<string, string>();

  constructor(client: ResourceClient<Secret>, cache: Informer<Secret>) {
    this.#client = client;
    this.#secrets = new FreshCache(cache);
    cache.addHandler({
      add: (s) => this.#index(s),
      update: (_a, b) => this.#index(b),
      delete: (s) => this.#unindex(keyOf(s)),
    });
  }

  #index(s: Secret): void {
    if (!isAgentStateSecret(s)) return;
    const host = ownerHostKey(s);
    const rec = parseAgentRecord(s);
    if (host === undefined || rec === undefined) return;
    const h = tokenHash(rec.token);
    const key = keyOf(s);
    const old = this.#tokenOf.get(key);
    if (old !== undefined && old !== h) this.#byToken.delete(old);
    this.#tokenOf.set(key, h);
    this.#byToken.set(h, host);
  }

  #unindex(key: string): void {
    const h = this.#tokenOf.get(key);
    if (h !== undefined) this.#byToken.delete(h);
    this.#tokenOf.delete(key);
  }

  static keyFor(host: BareMetalHost): string {
    return `${host.metadata.namespace ?? ""}/${agentStateName(host.metadata.name ?? "")}`;
  }

  /** The host's record, or undefined when it has none yet. */
  read(host: BareMetalHost): AgentRecord | undefined {
    const s = this.#secrets.get(AgentStateStore.keyFor(host));
    // A Secret left by an earlier host of the same name (another uid) is not this host's.
    if (s === undefined || !this.#ownedBy(s, host)) return undefined;
    return parseAgentRecord(s);
  }

  /** The host key whose token this is; the caller still compares the token in constant time. */
  hostKeyForToken(token: string): string | undefined {
    return this.#byToken.get(tokenHash(token));
  }

  /**
   * Applies `change` and resolves once the result is stored (or nothing needed
   * storing). Creates the Secret, with a fresh token, when `create` is set.
   */
  async update(host: BareMetalHost, change: AgentStateChange, opts: { readonly create: boolean; readonly signal?: AbortSignal }): Promise<AgentRecord | undefined> {
    const key = AgentStateStore.keyFor(host);
    const current = this.#secrets.get(key);
    if (current === undefined || !this.#ownedBy(current, host) || parseAgentRecord(current) === undefined) {
      if (current !== undefined) await this.#deleteStale(current, opts.signal);
      if (!opts.create) return undefined;
      const next = change({});
      if (next === undefined) return undefined;
      try {
        const created = await this.#client.create(newAgentStateSecret(host, newToken(), next), opts.signal);
        this.#secrets.wrote(created);
        this.#index(created);
        return parseAgentRecord(created);
      } catch (err) {
        if (!isApiError(err, ApiErrorCode.AlreadyExists)) throw err;
        // Someone (an earlier run of ours) created it meanwhile: read it and change that.
        const fresh = await this.#client.get(host.metadata.namespace, agentStateName(host.metadata.name ?? ""), opts.signal);
        return this.#change(fresh, change, opts.signal);
      }
    }
    return this.#change(current, change, opts.signal);
  }

  async #change(base: Secret, change: AgentStateChange, signal: AbortSignal | undefined): Promise<AgentRecord | undefined> {
    const written = await updateObject(
      this.#client,
      base,
      (d) => {
        const rec = parseAgentRecord(d);
        const next = change(rec?.state ?? {});
        if (next !== undefined) d.data = { ...d.data, [STATE_KEY]: encodeState(next) };
      },
      signal ? { signal } : {},
    );
    this.#secrets.wrote(written);
    return parseAgentRecord(written);
  }

  /** Removes the host's agent state (the host is going away). */
  async delete(host: BareMetalHost, signal?: AbortSignal): Promise<void> {
    const key = AgentStateStore.keyFor(host);
    try {
      await this.#client.delete(host.metadata.namespace, agentStateName(host.metadata.name ?? ""), signal ? { signal } : {});
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.#secrets.forget(key);
    this.#unindex(key);
  }

  #ownedBy(s: Secret, host: BareMetalHost): boolean {
    const uid = host.metadata.uid;
    return uid === undefined || (s.metadata?.ownerReferences ?? []).some((r) => r.uid === uid);
  }

  async #deleteStale(s: Secret, signal: AbortSignal | undefined): Promise<void> {
    const uid = s.metadata?.uid;
    try {
      await this.#client.delete(s.metadata?.namespace, s.metadata?.name ?? "", { ...(uid ? { preconditions: { uid } } : {}), ...(signal ? { signal } : {}) });
    } catch (err) {
      if (!isNotFound(err) && !isApiError(err, ApiErrorCode.Conflict)) throw err;
    }
    this.#secrets.forget(keyOf(s));
    this.#unindex(keyOf(s));
  }
}
