import { describe, expect, it } from "vitest";
import { jsonLinesTo } from "./json-lines.js";

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("jsonLinesTo", () => {
  it("writes the lines of one event-loop turn in one write, in order, after the turn", async () => {
    const writes: string[] = [];
    const lines = jsonLinesTo((t) => writes.push(t));
    lines.emit({ event: "a" });
    lines.emit({ event: "b", n: 1 });
    expect(writes).toEqual([]);
    await turn();
    expect(writes).toHaveLength(1);
    const parsed = writes[0]!.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((p) => p.event)).toEqual(["a", "b"]);
    expect(parsed[1]).toMatchObject({ n: 1 });
    expect(typeof parsed[0]!.ts).toBe("string");
  });

  it("starts a new write for lines of a later turn", async () => {
    const writes: string[] = [];
    const lines = jsonLinesTo((t) => writes.push(t));
    lines.emit({ event: "a" });
    await turn();
    lines.emit({ event: "b" });
    await turn();
    expect(writes).toHaveLength(2);
  });

  it("writes what is pending at once on flush, and nothing when nothing is", () => {
    const writes: string[] = [];
    const lines = jsonLinesTo((t) => writes.push(t));
    lines.flush();
    expect(writes).toEqual([]);
    lines.emit({ event: "stopped" });
    lines.flush();
    expect(writes).toHaveLength(1);
    expect(writes[0]).toContain('"event":"stopped"');
  });
});
