/**
 * The informer's list/watch protocol against a scripted API server twin on
 * loopback: resume from a bookmark after a normal close, relist on 410 Gone,
 * report what vanished during a relist as deletes, and feed a Controller.
 * The real API server's behaviour is covered by manager.peer.test.ts.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { Controller } from "./controller.js";
import { Informer } from "./informer.js";
import { ConfigMapKind, type KubeObject } from "./object.js";
import { ResourceClient } from "./resource-client.js";
import { Transport } from "./transport.js";
import { twinKubeConfig } from "./twin-kubeconfig.test-helper.js";

const cm = (name: string, rv: string): KubeObject => ({ metadata: { name, namespace: "ns", resourceVersion: rv } });

type Step = { list: { rv: string; items: KubeObject[] } } | { watch: { events: unknown[]; hold?: boolean } };

/** Serves the scripted steps in order and records each request's query. */
async function twin(steps: Step[]): Promise<{ url: string; requests: URLSearchParams[]; close: () => Promise<void> }> {
  const requests: URLSearchParams[] = [];
  const held: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    const q = new URL(req.url ?? "/", "http://x").searchParams;
    requests.push(q);
    const step = steps.shift();
    const isWatch = q.get("watch") === "true";
    if (!step || ("list" in step) === isWatch) {
      // Off-script: hold the connection so the informer waits instead of spinning.
      held.push(res);
      return;
    }
    res.writeHead(200, { "Content-Type": "application/json" });
    if ("list" in step) {
      res.end(JSON.stringify({ kind: "ConfigMapList", metadata: { resourceVersion: step.list.rv }, items: step.list.items }));
      return;
    }
    for (const e of step.watch.events) res.write(JSON.stringify(e) + "\n");
    if (step.watch.hold) held.push(res);
    else res.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((r) => {
        for (const h of held) h.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}


describe("Informer against a scripted API server", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function start(steps: Step[]): Promise<{ inf: Informer<KubeObject>; seen: string[]; requests: URLSearchParams[]; transport: Transport }> {
    const t = await twin(steps);
    const transport = new Transport(twinKubeConfig(t.url));
    const inf = new Informer<KubeObject>(new ResourceClient(transport, ConfigMapKind), { resyncMs: 0, backoff: { baseMs: 10, maxMs: 50 } });
    const seen: string[] = [];
    inf.addHandler({
      add: (o) => seen.push(`add ${o.metadata?.name}@${o.metadata?.resourceVersion}`),
      update: (_a, b) => seen.push(`update ${b.metadata?.name}@${b.metadata?.resourceVersion}`),
      delete: (o) => seen.push(`delete ${o.metadata?.name}`),
    });
    const ac = new AbortController();
    const running = inf.run(ac.signal);
    cleanups.push(async () => {
      ac.abort();
      await running;
      transport.close();
      await t.close();
    });
    return { inf, seen, requests: t.requests, transport };
  }

  const settle = async (cond: () => boolean): Promise<void> => {
    const deadline = Date.now() + 3_000;
    while (!cond() && Date.now() < deadline) await sleep(10);
  };

  it("resumes a normally closed watch from the last bookmark without relisting", async () => {
    const { inf, seen, requests } = await start([
      { list: { rv: "10", items: [cm("a", "5")] } },
      { watch: { events: [{ type: "ADDED", object: cm("b", "11") }, { type: "BOOKMARK", object: { metadata: { resourceVersion: "12" } } }] } },
      { watch: { events: [{ type: "MODIFIED", object: cm("a", "13") }], hold: true } },
    ]);
    await settle(() => seen.length >= 3);
    expect(seen).toEqual(["add a@5", "add b@11", "update a@13"]);
    expect(requests.map((q) => (q.get("watch") ? `watch@${q.get("resourceVersion")}` : "list"))).toEqual(["list", "watch@10", "watch@12"]);
    expect(requests[1]?.get("allowWatchBookmarks")).toBe("true");
    expect(inf.listCount).toBe(1);
    expect(inf.hasSynced()).toBe(true);
  });

  it("keeps no managedFields in its cache, from lists or watches", async () => {
    const withFields = (name: string, rv: string): KubeObject =>
      ({ metadata: { name, namespace: "ns", resourceVersion: rv, managedFields: [{ manager: "kubectl", operation: "Update", fieldsV1: { "f:data": {} } }] } }) as KubeObject;
    const { inf, seen } = await start([
      { list: { rv: "10", items: [withFields("a", "5")] } },
      { watch: { events: [{ type: "ADDED", object: withFields("b", "11") }], hold: true } },
    ]);
    await settle(() => seen.length >= 2);
    expect(seen).toEqual(["add a@5", "add b@11"]);
    for (const key of ["ns/a", "ns/b"]) {
      expect(inf.get(key)?.metadata?.name).toBeDefined();
      expect(inf.get(key)?.metadata).not.toHaveProperty("managedFields");
    }
  });

  it("relists on 410 Gone and reports what vanished meanwhile as a delete", async () => {
    const { inf, seen, requests } = await start([
      { list: { rv: "10", items: [cm("a", "5"), cm("b", "6")] } },
      { watch: { events: [{ type: "ERROR", object: { kind: "Status", code: 410, reason: "Expired", message: "too old resource version" } }] } },
      { list: { rv: "40", items: [cm("b", "30"), cm("c", "31")] } },
      { watch: { events: [], hold: true } },
    ]);
    await settle(() => requests.length >= 4);
    expect(inf.listCount).toBe(2);
    expect(seen).toEqual(["add a@5", "add b@6", "update b@30", "add c@31", "delete a"]);
    expect(requests[3]?.get("resourceVersion")).toBe("40");
    expect(inf.list().map((o) => o.metadata?.name).sort()).toEqual(["b", "c"]);
  });

  it("relists after a failed watch request, waiting at least the backoff between rounds", async () => {
    const listedAt: number[] = [];
    let n = 0;
    const server = http.createServer((req, res) => {
      n++;
      const watch = new URL(req.url ?? "/", "http://x").searchParams.get("watch") === "true";
      if (watch) res.writeHead(500, { "Content-Type": "application/json" }).end(JSON.stringify({ kind: "Status", code: 500, reason: "InternalError" }));
      else {
        listedAt.push(performance.now());
        res.writeHead(200).end(JSON.stringify({ metadata: { resourceVersion: String(n) }, items: [] }));
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const transport = new Transport(twinKubeConfig(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
    const inf = new Informer<KubeObject>(new ResourceClient(transport, ConfigMapKind), { resyncMs: 0, backoff: { baseMs: 20, maxMs: 40, jitter: 0 } });
    const ac = new AbortController();
    const running = inf.run(ac.signal);
    // Behaviour, not speed: wait (bounded) for four lists, however slow the machine is.
    for (let i = 0; i < 500 && listedAt.length < 4; i++) await sleep(20);
    ac.abort();
    await running;
    transport.close();
    server.closeAllConnections();
    server.close();
    expect(listedAt.length).toBeGreaterThanOrEqual(4);
    expect(inf.listCount).toBeGreaterThanOrEqual(4);
    // Not a hot loop: every relist waited at least the 20 ms backoff base (a lower bound holds on any machine).
    const gaps = listedAt.slice(1).map((t, i) => t - listedAt[i]!);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(19);
  });

  it("feeds a Controller: each event becomes its key, reconciled once per burst", async () => {
    const { inf } = await start([
      { list: { rv: "10", items: [cm("a", "5")] } },
      {
        watch: {
          events: [
            { type: "MODIFIED", object: cm("a", "11") },
            { type: "MODIFIED", object: cm("a", "12") },
            { type: "ADDED", object: cm("b", "13") },
            { type: "DELETED", object: cm("b", "14") },
          ],
          hold: true,
        },
      },
    ]);
    const keys: string[] = [];
    const ctl = new Controller({
      name: "twin",
      for: inf,
      concurrency: 1,
      reconcile: async (key) => {
        keys.push(key);
        await sleep(50);
        return { kind: "done" };
      },
    });
    const ac = new AbortController();
    const running = ctl.run(ac.signal);
    cleanups.push(async () => {
      ac.abort();
      await running;
    });
    await settle(() => keys.includes("ns/b") && ctl.queue.length === 0);
    await sleep(150);
    expect(new Set(keys)).toEqual(new Set(["ns/a", "ns/b"]));
    // Dedupe: four events on two keys never make four reconciles of one key.
    expect(keys.filter((k) => k === "ns/a").length).toBeLessThanOrEqual(2);
  });

  it("maps owned objects to their controller owner's key, and ignores non-controller owners", async () => {
    const owned = (name: string, owner: string, controller: boolean): KubeObject => ({
      metadata: { ...cm(name, "20").metadata, ownerReferences: [{ apiVersion: "metal3.io/v1alpha1", kind: "BareMetalHost", name: owner, uid: "u", controller }] },
    });
    const { inf } = await start([{ list: { rv: "10", items: [owned("hw-1", "host-1", true), owned("hw-2", "host-2", false)] } }, { watch: { events: [], hold: true } }]);
    const keys: string[] = [];
    const ctl = new Controller({ name: "owner", for: inf, filter: () => false, reconcile: async (key) => (keys.push(key), { kind: "done" }) }).owns(inf, "BareMetalHost");
    const ac = new AbortController();
    const running = ctl.run(ac.signal);
    cleanups.push(async () => {
      ac.abort();
      await running;
    });
    await settle(() => keys.length >= 1);
    await sleep(100);
    expect(keys).toEqual(["ns/host-1"]);
  });
});
