/**
 * A typed client for one kind: CRUD, patches, the status subresource, and
 * list that follows `continue` tokens to the end (API concepts, "Retrieving
 * large results sets in chunks") — no page cap, so a host selector over
 * thousands of hosts sees them all.
 */
import { ApiError, ApiErrorCode } from "./errors.js";
import { apiVersionOf, collectionPath, objectPath, type KindRef, type KubeObject } from "./object.js";
import type { Transport } from "./transport.js";

/** Patch formats the API server accepts (API concepts, "Patch operations"). */
export const PatchType = {
  /** RFC 7386 JSON Merge Patch. */
  Merge: "application/merge-patch+json",
  /** RFC 6902 JSON Patch (use a `test` op on resourceVersion for a conditional patch). */
  Json: "application/json-patch+json",
  /** Kubernetes strategic merge patch; core kinds only, not custom resources. */
  Strategic: "application/strategic-merge-patch+json",
} as const;
export type PatchType = (typeof PatchType)[keyof typeof PatchType];

export interface JsonPatchOp {
  readonly op: "add" | "remove" | "replace" | "test" | "move" | "copy";
  readonly path: string;
  readonly value?: unknown;
  readonly from?: string;
}

export interface ListOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Objects per page. @default 500 */
  readonly pageSize?: number;
  readonly signal?: AbortSignal;
}

export interface ListResult<T> {
  readonly items: T[];
  /** The collection's resourceVersion at the first page: a watch starts from here. */
  readonly resourceVersion: string;
  readonly pages: number;
}

export interface DeleteOptions {
  /** Delete only if the object still has this uid / resourceVersion (meta/v1 Preconditions). */
  readonly preconditions?: { uid?: string; resourceVersion?: string };
  /** @default "Background" */
  readonly propagationPolicy?: "Foreground" | "Background" | "Orphan";
  readonly signal?: AbortSignal;
}

interface ListBody<T> {
  items?: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

export class ResourceClient<T extends KubeObject> {
  constructor(
    readonly transport: Transport,
    readonly kind: KindRef,
  ) {}

  #ns(namespace: string | undefined): string | undefined {
    if (this.kind.namespaced && !namespace) {
      throw new ApiError(ApiErrorCode.BadRequest, `${this.kind.kind} is namespaced: a namespace is required`);
    }
    return this.kind.namespaced ? namespace : undefined;
  }

  #what(verb: string, namespace: string | undefined, name: string): string {
    return `${verb} ${this.kind.kind} ${namespace ? `${namespace}/` : ""}${name}`;
  }

  get(namespace: string | undefined, name: string, signal?: AbortSignal): Promise<T> {
    const ns = this.#ns(namespace);
    return this.transport.request<T>("GET", objectPath(this.kind, ns, name), { what: this.#what("get", ns, name), ...(signal ? { signal } : {}) });
  }

  /** Every object matching the options, across all pages. */
  async list(opts: ListOptions = {}): Promise<ListResult<T>> {
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion = "";
    let pages = 0;
    do {
      const page = await this.transport.request<ListBody<T>>("GET", collectionPath(this.kind, this.kind.namespaced ? opts.namespace : undefined), {
        query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit: opts.pageSize ?? 500, continue: cont },
        what: `list ${this.kind.plural}`,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      pages++;
      if (pages === 1) resourceVersion = page.metadata?.resourceVersion ?? "";
      // Items of a list carry no apiVersion/kind; restore them so objects from
      // list and from get look the same to a reconciler.
      for (const item of page.items ?? []) items.push(this.#typed(item));
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return { items, resourceVersion, pages };
  }

  #typed(item: T): T {
    return { ...item, apiVersion: apiVersionOf(this.kind), kind: this.kind.kind };
  }

  create(obj: T, signal?: AbortSignal): Promise<T> {
    const ns = this.#ns(obj.metadata?.namespace);
    return this.transport.request<T>("POST", collectionPath(this.kind, ns), {
      body: { ...obj, apiVersion: apiVersionOf(this.kind), kind: this.kind.kind },
      what: this.#what("create", ns, obj.metadata?.name ?? obj.metadata?.generateName ?? ""),
      ...(signal ? { signal } : {}),
    });
  }

  /** PUT: fails with Conflict unless `obj.metadata.resourceVersion` is current. */
  update(obj: T, signal?: AbortSignal): Promise<T> {
    return this.#put(obj, "", signal);
  }

  /** PUT to /status: only status changes; Conflict on a stale resourceVersion. */
  updateStatus(obj: T, signal?: AbortSignal): Promise<T> {
    return this.#put(obj, "/status", signal);
  }

  #put(obj: T, sub: string, signal?: AbortSignal): Promise<T> {
    const ns = this.#ns(obj.metadata?.namespace);
    const name = obj.metadata?.name ?? "";
    return this.transport.request<T>("PUT", objectPath(this.kind, ns, name) + sub, {
      body: { ...obj, apiVersion: apiVersionOf(this.kind), kind: this.kind.kind },
      what: this.#what(sub ? "update status of" : "update", ns, name),
      ...(signal ? { signal } : {}),
    });
  }

  patch(namespace: string | undefined, name: string, patch: unknown, type: PatchType = PatchType.Merge, signal?: AbortSignal): Promise<T> {
    return this.#patch(namespace, name, "", patch, type, signal);
  }

  patchStatus(namespace: string | undefined, name: string, patch: unknown, type: PatchType = PatchType.Merge, signal?: AbortSignal): Promise<T> {
    return this.#patch(namespace, name, "/status", patch, type, signal);
  }

  #patch(namespace: string | undefined, name: string, sub: string, patch: unknown, type: PatchType, signal?: AbortSignal): Promise<T> {
    const ns = this.#ns(namespace);
    return this.transport.request<T>("PATCH", objectPath(this.kind, ns, name) + sub, {
      body: patch,
      contentType: type,
      what: this.#what(sub ? "patch status of" : "patch", ns, name),
      ...(signal ? { signal } : {}),
    });
  }

  async delete(namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<void> {
    const ns = this.#ns(namespace);
    await this.transport.request<unknown>("DELETE", objectPath(this.kind, ns, name), {
      body: {
        apiVersion: "v1",
        kind: "DeleteOptions",
        propagationPolicy: opts.propagationPolicy ?? "Background",
        ...(opts.preconditions ? { preconditions: opts.preconditions } : {}),
      },
      what: this.#what("delete", ns, name),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }
}
