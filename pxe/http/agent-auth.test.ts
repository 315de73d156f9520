import { describe, expect, it } from "vitest";
import { redactPath } from "./access-log.js";
import { authenticateAgent, bearerToken, tokensEqual } from "./agent-auth.js";
import { HOSTS, memoryBackend } from "./testing/memory-backend.js";

const backend = memoryBackend(HOSTS);

describe("authenticateAgent", () => {
  it.each([
    ["accepts the host's own token", "Bearer tok-one-AAAA", "52:54:00:00:00:01", { ok: true }],
    ["accepts the MAC in hyphen form", "Bearer tok-one-AAAA", "52-54-00-00-00-01", { ok: true }],
    ["refuses another host's token with 403", "Bearer tok-two-BBBB", "52:54:00:00:00:01", { ok: false, status: 403, code: "AGENT_TOKEN_WRONG_HOST" }],
    ["refuses an unknown token with 401", "Bearer nope", "52:54:00:00:00:01", { ok: false, status: 401, code: "AGENT_TOKEN_INVALID" }],
    ["refuses a missing header with 401", undefined, "52:54:00:00:00:01", { ok: false, status: 401, code: "AGENT_TOKEN_MISSING" }],
    ["refuses Basic credentials with 401", "Basic dG9rOg==", "52:54:00:00:00:01", { ok: false, status: 401, code: "AGENT_TOKEN_MISSING" }],
  ])("%s", async (_name, header, mac, want) => {
    const r = await authenticateAgent(backend, header, mac);
    expect(r.ok ? { ok: true } : r).toEqual(want);
  });

  it("refuses a backend record whose token differs from the one presented", async () => {
    const lying = { byMac: (mac: string) => backend.byMac(mac), byToken: () => Promise.resolve(HOSTS[0]) };
    expect(await authenticateAgent(lying, "Bearer forged", "52:54:00:00:00:01")).toMatchObject({ ok: false, status: 401 });
  });
});

describe("token helpers", () => {
  it.each([
    ["equal tokens", "abc", "abc", true],
    ["different tokens of equal length", "abc", "abd", false],
    ["a prefix", "abc", "abcd", false],
  ])("tokensEqual compares %s", (_name, a, b, want) => {
    expect(tokensEqual(a, b)).toBe(want);
  });

  it.each([
    ["Bearer abc", "abc"],
    ["bearer   abc ", "abc"],
    ["Bearer a b", undefined],
    ["Token abc", undefined],
  ])("bearerToken reads %j", (header, want) => {
    expect(bearerToken(header)).toBe(want);
  });
});

describe("redactPath", () => {
  it.each([
    ["/assets/vmlinuz", "/assets/vmlinuz"],
    ["/x?token=s3cret&a=1", "/x?token=REDACTED&a=1"],
    ["/x?a=1&anvil.token=s3cret", "/x?a=1&anvil.token=REDACTED"],
    ["/x?TOKEN=s3cret", "/x?TOKEN=REDACTED"],
  ])("logs %s as %s", (input, want) => {
    expect(redactPath(input)).toBe(want);
  });
});
