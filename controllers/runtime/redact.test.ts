import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";
import { REDACTED, redact, redactorFor, redactText } from "./redact.js";

const PW = "hunter2-Planted";

describe("redact", () => {
  it.each([
    ["a password field", { password: PW }, { password: REDACTED }],
    ["a nested token", { auth: { Token: PW } }, { auth: { Token: REDACTED } }],
    ["userData", { spec: { userData: PW } }, { spec: { userData: REDACTED } }],
    ["every value of a Secret's data", { kind: "Secret", metadata: { name: "s" }, data: { value: "dXNlcg==", anything: "eA==" } }, { kind: "Secret", metadata: { name: "s" }, data: { value: REDACTED, anything: REDACTED } }],
    ["a Secret's stringData", { kind: "Secret", stringData: { format: "cloud-config" } }, { kind: "Secret", stringData: { format: REDACTED } }],
    ["data of a ConfigMap (kept)", { kind: "ConfigMap", data: { a: "b" } }, { kind: "ConfigMap", data: { a: "b" } }],
    ["a list of credentials", [{ password: PW }, "plain"], [{ password: REDACTED }, "plain"]],
  ])("hides %s", (_what, input, expected) => {
    expect(redact(input)).toEqual(expected);
  });

  it.each([
    ["URL userinfo", `redfish://admin:${PW}@10.0.0.5/redfish/v1`, `redfish://${REDACTED}@10.0.0.5/redfish/v1`],
    ["a password= pair", `login failed password=${PW} user=admin`, `login failed password=${REDACTED} user=admin`],
    ["a JSON token", `{"token": "${PW}"}`, `{"token": "${REDACTED}"}`],
    ["a bearer token", `Authorization: Bearer ${PW}.abc`, `Authorization: Bearer ${REDACTED}`],
    ["nothing in ordinary text", "host default/h-1 is available", "host default/h-1 is available"],
  ])("hides %s in free text", (_what, input, expected) => {
    expect(redactText(input)).toBe(expected);
  });

  it("hides known literal values wherever they appear", () => {
    expect(redactorFor([PW])(`BMC said: bad credential ${PW}!`)).toBe(`BMC said: bad credential ${REDACTED}!`);
  });
});

describe("createLogger", () => {
  function capture(level: "debug" | "info" = "info"): { lines: string[]; log: ReturnType<typeof createLogger> } {
    const lines: string[] = [];
    const log = createLogger({ level, write: (l) => void lines.push(l), now: () => new Date("2026-01-01T00:00:00Z"), redactText: redactorFor([PW]) });
    return { lines, log };
  }

  it("writes one JSON object per line, ts/level/msg first, then bound and call fields", () => {
    const { lines, log } = capture();
    log.with({ controller: "host" }).info("reconciled", { key: "ns/h", durationMs: 3 });
    expect(lines).toEqual(['{"ts":"2026-01-01T00:00:00.000Z","level":"info","msg":"reconciled","controller":"host","key":"ns/h","durationMs":3}\n']);
  });

  it("drops records below its level", () => {
    const { lines, log } = capture("info");
    log.debug("noise");
    log.warn("kept");
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(["kept"]);
  });

  it("never writes a planted secret, whether in the message, a field, an error or a Secret object", () => {
    const { lines, log } = capture("debug");
    log.error(`connect redfish://root:${PW}@bmc failed`, {
      password: PW,
      bmc: { credentials: { username: "root", password: PW } },
      error: new Error(`auth failed for ${PW}`),
      secret: { kind: "Secret", data: { password: Buffer.from(PW).toString("base64") } },
      note: `user typed ${PW}`,
    });
    const out = lines.join("");
    expect(out).not.toContain(PW);
    expect(out).not.toContain(Buffer.from(PW).toString("base64"));
    expect(JSON.parse(out)).toMatchObject({ level: "error", password: REDACTED });
  });

  it("keeps reserved keys from being overwritten by fields", () => {
    const { lines, log } = capture();
    log.info("real", { msg: "fake", level: "debug" });
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: "real", level: "info" });
  });
});
