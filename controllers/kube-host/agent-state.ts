/**
 * The per-host agent state: one Secret beside the host
 * (`<host>-anvil-agent`, owned by the host, label AGENT_STATE_LABEL) holding
 * the ramdisk agent's bearer token and the current job with its progress,
 * result and inventory (docs/adr/0010-agent-state-secret.md). It is the
 * `Provisioner` port's durable memory: a manager killed at any moment
 * answers the agent and the state machine from it alone.
 *
 * This file is pure: parse, serialise, name. The store writes it.
 */
import { createHash, randomBytes } from "node:crypto";
import type { BareMetalHost, HardwareDetails, Image, OwnerReference } from "../../api/index.js";
import type { RamdiskPurpose } from "../host/index.js";
import { BareMetalHostRef } from "../runtime/index.js";
import { secretValue, type Secret } from "./secret.js";

export const AGENT_STATE_LABEL = "anvil.cluster.x-k8s.io/agent-state";
export const TOKEN_KEY = "token";
export const STATE_KEY = "state";

export interface AgentJob {
  readonly purpose: RamdiskPurpose;
  readonly key: string;
  /** The spec's image as the job was asked for (the agent needs any URL credentials; the Secret may hold them). */
  readonly image?: Image;
}

export interface AgentProgressRecord {
  readonly phase: string;
  readonly bytesWritten: number;
  readonly total?: number;
}

export interface AgentResultRecord {
  readonly ok: boolean;
  readonly code?: string;
  readonly message?: string;
}

export interface AgentState {
  readonly job?: AgentJob;
  /** The ramdisk is no longer offered (byMac says otherwise); the job and its outcome are kept. */
  readonly released?: boolean;
  /** The agent has been handed the job (it asked for instructions). */
  readonly fetched?: boolean;
  /** ISO time the agent last showed life for this job (fetched it, posted progress or inventory). */
  readonly reportedAt?: string;
  readonly progress?: AgentProgressRecord;
  readonly result?: AgentResultRecord;
  /** Inventory posted for an inspect job. */
  readonly hardware?: HardwareDetails;
}

export interface AgentRecord {
  readonly token: string;
  readonly state: AgentState;
}

/** 256 random bits, hex: fits RFC 6750's token68 and never needs escaping. */
export function newToken(): string {
  return randomBytes(32).toString("hex");
}

/** Secret names are DNS subdomains (≤ 253); a very long host name is shortened with a digest. */
export function agentStateName(hostName: string): string {
  const suffix = "-anvil-agent";
  if (hostName.length + suffix.length <= 253) return `${hostName}${suffix}`;
  const digest = createHash("sha256").update(hostName).digest("hex").slice(0, 10);
  return `${hostName.slice(0, 253 - suffix.length - 11)}-${digest}${suffix}`;
}

export function isAgentStateSecret(s: Secret): boolean {
  return s.metadata?.labels?.[AGENT_STATE_LABEL] === "true";
}

/** The host an agent-state Secret belongs to (`namespace/name`), from its controller owner reference. */
export function ownerHostKey(s: Secret): string | undefined {
  const ref = s.metadata?.ownerReferences?.find((r) => r.controller === true && r.kind === BareMetalHostRef.kind);
  const ns = s.metadata?.namespace;
  return ref === undefined || ns === undefined ? undefined : `${ns}/${ref.name}`;
}

/** `undefined` when the Secret has no token (not ours, or damaged: a new one will be written). */
export function parseAgentRecord(s: Secret | undefined): AgentRecord | undefined {
  const token = secretValue(s, TOKEN_KEY);
  if (token === undefined || token === "") return undefined;
  const raw = secretValue(s, STATE_KEY);
  let state: AgentState = {};
  if (raw !== undefined && raw !== "") {
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) state = parsed;
    } catch {
      state = {};
    }
  }
  return { token, state };
}

export function encodeState(state: AgentState): string {
  return Buffer.from(JSON.stringify(state), "utf8").toString("base64");
}

function ownerOf(host: BareMetalHost): OwnerReference {
  return {
    apiVersion: `${BareMetalHostRef.group}/${BareMetalHostRef.version}`,
    kind: BareMetalHostRef.kind,
    name: host.metadata.name ?? "",
    uid: host.metadata.uid ?? "",
    controller: true,
    blockOwnerDeletion: false,
  };
}

/** A new agent-state Secret for `host`. */
export function newAgentStateSecret(host: BareMetalHost, token: string, state: AgentState): Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: agentStateName(host.metadata.name ?? ""),
      namespace: host.metadata.namespace ?? "",
      labels: { [AGENT_STATE_LABEL]: "true" },
      ownerReferences: [ownerOf(host)],
    },
    type: "Opaque",
    data: { [TOKEN_KEY]: Buffer.from(token, "utf8").toString("base64"), [STATE_KEY]: encodeState(state) },
  };
}
