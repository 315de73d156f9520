/**
 * The Manager's run signal against an API server twin on loopback: the
 * caller's signal carries one listener however many caches, controllers and
 * requests listen on the run signal (they did listen on the caller's signal
 * directly: a manager with a few controllers set off Node's
 * MaxListenersExceededWarning while its caches synced), and every call that
 * listens on the run signal takes its listener away when it ends.
 */
import { getEventListeners } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { eventually } from "../../e2e/framework/process.js";
import { Informer } from "./informer.js";
import { Manager } from "./manager.js";
import { ConfigMapKind, type KubeObject } from "./object.js";
import { ResourceClient } from "./resource-client.js";
import { runSignal } from "./run-signal.js";
import { Transport } from "./transport.js";
import { twinKubeConfig } from "./twin-kubeconfig.test-helper.js";

/** An API server twin: `answer` decides each request; `undefined` holds it open. */
async function twin(answer: (req: http.IncomingMessage) => { status: number; body: string } | undefined): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    const a = answer(req);
    if (a === undefined) return;
    res.writeHead(a.status, { "Content-Type": "application/json" }).end(a.body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}


const listeners = (s: AbortSignal): number => getEventListeners(s, "abort").length;

describe("the manager's run signal", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => void warnings.push(w);
  afterEach(async () => {
    process.off("warning", onWarning);
    warnings.length = 0;
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it("puts one listener on the caller's signal while three controllers wait for four unsynced caches, and no leak warning", async () => {
    process.on("warning", onWarning);
    // Lists never answer: every cache stays unsynced, every controller keeps waiting for it.
    const api = await twin(() => undefined);
    cleanups.push(() => api.close());
    const mgr = new Manager({ kubeConfig: twinKubeConfig(api.url), probes: false, resyncMs: 0 });
    const caches = ["a", "b", "c", "d"].map((l) => mgr.informer(ConfigMapKind, { labelSelector: `cache=${l}` }));
    for (const name of ["one", "two", "three"]) {
      const c = mgr.addController<KubeObject>({ name, for: caches[0]!, reconcile: () => Promise.resolve({ kind: "done" }) });
      for (const other of caches.slice(1)) c.watches(other, () => []);
    }
    const outer = new AbortController();
    const running = mgr.start(outer.signal);
    cleanups.push(async () => {
      outer.abort();
      await running;
    });
    await eventually("every cache's list to reach the server", () => api.requests() >= caches.length, { timeoutMs: 5_000, intervalMs: 10 });
    // Old code: 12 cache waits (3 controllers x 4 caches) and 4 lists listened on the caller's signal.
    expect(listeners(outer.signal)).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
    outer.abort();
    await running;
    expect(listeners(outer.signal)).toBe(0);
  });

  it("gets every listener back from requests, failed requests, ended watches and synced caches", async () => {
    const api = await twin((req) => {
      const url = new URL(req.url ?? "/", "http://x");
      if (url.pathname.endsWith("/missing")) return { status: 404, body: JSON.stringify({ kind: "Status", code: 404, reason: "NotFound" }) };
      if (url.searchParams.get("watch") === "true") return { status: 200, body: "" };
      if (url.pathname.endsWith("/configmaps")) return { status: 200, body: JSON.stringify({ kind: "ConfigMapList", metadata: { resourceVersion: "1" }, items: [] }) };
      return { status: 200, body: JSON.stringify({ metadata: { name: "x", namespace: "ns" } }) };
    });
    cleanups.push(() => api.close());
    const transport = new Transport(twinKubeConfig(api.url));
    cleanups.push(() => transport.close());
    const { signal, detach } = runSignal(new AbortController().signal);
    cleanups.push(detach);
    const client = new ResourceClient<KubeObject>(transport, ConfigMapKind);

    for (let i = 0; i < 30; i++) await client.get("ns", `cm-${i}`, signal);
    await Promise.all(Array.from({ length: 30 }, (_, i) => client.get("ns", `cm-${i}`, signal)));
    for (let i = 0; i < 5; i++) await expect(client.get("ns", "missing", signal)).rejects.toMatchObject({ code: "API_NOT_FOUND" });
    for (let i = 0; i < 5; i++) await transport.watch("/api/v1/namespaces/ns/configmaps", {}, () => undefined, signal);
    const inf = new Informer<KubeObject>(client, { resyncMs: 0 });
    const waits = Array.from({ length: 5 }, () => inf.waitForSync(signal));
    const informerStop = new AbortController();
    const informing = inf.run(informerStop.signal);
    await Promise.all(waits);
    informerStop.abort();
    await informing;
    expect(api.requests()).toBeGreaterThanOrEqual(71);
    expect(listeners(signal)).toBe(0);
  });
});
