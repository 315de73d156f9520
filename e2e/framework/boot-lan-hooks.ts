/**
 * The per-test lab most VM tests need: a fresh network namespace lab with
 * the boot LAN in it before each test, removed after it (processes,
 * namespaces, temp dirs), registered as vitest hooks in one call.
 */
import { afterEach, beforeEach } from "vitest";
import { bootLan, type BootLan } from "./boot-lan.js";
import { NetnsLab } from "./netns.js";

export interface BootLanFixture {
  /** The current test's lab; only valid inside a test. */
  readonly lab: NetnsLab;
  readonly net: BootLan;
}

export function useBootLanPerTest(): BootLanFixture {
  let lab: NetnsLab | undefined;
  let net: BootLan | undefined;
  beforeEach(async () => {
    lab = new NetnsLab();
    net = await bootLan(lab);
  });
  afterEach(async () => {
    const l = lab;
    lab = undefined;
    net = undefined;
    await l?.cleanup();
  });
  const outside = (): never => {
    throw new Error("the boot LAN exists only while a test runs");
  };
  return {
    get lab() {
      return lab ?? outside();
    },
    get net() {
      return net ?? outside();
    },
  };
}
