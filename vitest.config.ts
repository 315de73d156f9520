import { defineConfig } from "vitest/config";

// Two projects: `unit` runs pure logic and fixture twins in parallel; `e2e`
// (and every *.peer.test.ts beside the code) talks to real peers — the API
// server, sushy-tools, ipmi_sim, real DHCP/TFTP clients, qemu — and runs one
// file at a time so two suites never fight over the 2 cores or a port.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["{api,bmc,pxe,controllers,ramdisk,cmd,scripts}/**/*.test.ts"],
          exclude: ["**/*.peer.test.ts", "node_modules/**"],
          testTimeout: 10_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["e2e/**/*.test.ts", "**/*.peer.test.ts"],
          exclude: ["node_modules/**"],
          fileParallelism: false,
          // One retry for a test against real peers (ADR 0018): emulators under
          // a loaded CI machine fail transiently; scripts/test-summary.mjs names
          // every test that needed it, so a flake is reported, never hidden.
          retry: 1,
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
