import { describe, expect, it } from "vitest";
import type { KubeObject } from "../runtime/index.js";
import { FreshCache } from "./fresh-cache.js";
import { MemoryKind } from "./memory-kube.fixture.js";

interface Thing extends KubeObject {
  spec: { v: number };
}
const thing = (v: number): Thing => ({ metadata: { name: "t", namespace: "ns" }, spec: { v } });

describe("a cache that knows our own writes", () => {
  it("serves our write while the watch lags, then the watch's copy", async () => {
    const k = new MemoryKind<Thing>();
    const c = new FreshCache(k.informer);
    await k.client.create(thing(1));
    k.lagging = true;
    const w = await k.client.update({ ...k.stored.get("ns/t")!, spec: { v: 2 } });
    c.wrote(w);
    expect(c.get("ns/t")?.spec.v).toBe(2);
    expect(k.informer.get("ns/t")?.spec.v).toBe(1);
    k.deliver();
    await k.client.update({ ...k.stored.get("ns/t")!, spec: { v: 3 } });
    k.deliver();
    expect(c.get("ns/t")?.spec.v).toBe(3);
  });

  it("does not pin a write whose watch event arrived before the write's response, so a later change shows", async () => {
    const k = new MemoryKind<Thing>();
    const c = new FreshCache(k.informer);
    await k.client.create(thing(1));
    const w = await k.client.update({ ...k.stored.get("ns/t")!, spec: { v: 2 } });
    c.wrote(w); // the event for v2 was already delivered
    await k.client.update({ ...k.stored.get("ns/t")!, spec: { v: 3 } }); // someone else
    expect(c.get("ns/t")?.spec.v).toBe(3);
  });

  it("lets a write it holds expire after maxAgeMs", async () => {
    const k = new MemoryKind<Thing>();
    let now = 0;
    const c = new FreshCache(k.informer, 1_000, () => now);
    await k.client.create(thing(1));
    k.lagging = true;
    c.wrote(await k.client.update({ ...k.stored.get("ns/t")!, spec: { v: 2 } }));
    now = 1_001;
    expect(c.get("ns/t")?.spec.v).toBe(1);
  });
});
