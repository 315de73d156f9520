import { describe, expect, it } from "vitest";
import { bindAddress, FlagError, runtimeFlagsFrom } from "./flags.js";

describe("runtimeFlagsFrom", () => {
  it("uses generous defaults when no flag is given", () => {
    expect(runtimeFlagsFrom([])).toEqual({
      qps: 50,
      burst: 100,
      concurrency: 4,
      leaderElect: false,
      leaderElectionNamespace: "anvil-system",
      leaderElectionId: "anvil-manager",
      metricsBindAddress: "127.0.0.1:8080",
      namespace: "",
    });
  });

  it("reads every flag and ignores the composition root's own", () => {
    const f = runtimeFlagsFrom(["--kube-api-qps=200", "--kube-api-burst", "400", "--concurrency=16", "--leader-elect", "--namespace=metal3", "--provisioning-interface=eth1"]);
    expect(f).toMatchObject({ qps: 200, burst: 400, concurrency: 16, leaderElect: true, namespace: "metal3" });
  });

  it.each([
    [["--leader-elect"], true],
    [["--leader-elect=true"], true],
    [["--leader-elect=false"], false],
    [[], false],
  ] as const)("reads leader election from %j as the Deployment writes it", (args, expected) => {
    expect(runtimeFlagsFrom(args).leaderElect).toBe(expected);
  });

  it.each([["--kube-api-qps=0"], ["--kube-api-burst=1.5"], ["--concurrency=-2"], ["--kube-api-qps=fast"], ["--leader-elect=yes"]])("refuses %s", (arg) => {
    expect(() => runtimeFlagsFrom([arg])).toThrow(FlagError);
  });
});

describe("bindAddress", () => {
  it.each([
    ["127.0.0.1:8080", { host: "127.0.0.1", port: 8080 }],
    [":9443", { host: "0.0.0.0", port: 9443 }],
    ["[::1]:8080", { host: "::1", port: 8080 }],
    ["0", false],
  ] as const)("reads %s", (s, expected) => {
    expect(bindAddress(s)).toEqual(expected);
  });
  it.each([["localhost"], ["1.2.3.4:99999"]])("refuses %s", (s) => {
    expect(() => bindAddress(s)).toThrow(FlagError);
  });
});
