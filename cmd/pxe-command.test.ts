import { afterEach, describe, expect, it, vi } from "vitest";
import { run } from "./pxe-command.js";

describe("anvil pxe serve's arguments", () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([
    ["a log level it does not know", ["serve", "--config", "pxe.yaml", "--log-level", "trace"], /--log-level takes debug or info, got "trace"/],
    ["no --config", ["serve", "--log-level", "debug"], /--config is required/],
  ])("refuses %s with exit code 2 and says why, before reading any file", async (_name, argv, why) => {
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    await expect(run(argv)).resolves.toBe(2);
    expect(stderr.mock.calls.map((c) => String(c[0])).join("")).toMatch(why);
  });
});
