import { describe, expect, it } from "vitest";
import { transitionChain } from "./manager-stage.js";

describe("a host's transitions from its StateChanged Events", () => {
  it.each([
    { notes: [], want: ["new"] },
    { notes: ["new -> registering"], want: ["new", "registering"] },
    {
      notes: ["available -> provisioning", "new -> registering", "inspecting -> preparing", "registering -> inspecting", "preparing -> available", "provisioning -> provisioned"],
      want: ["new", "registering", "inspecting", "preparing", "available", "provisioning", "provisioned"],
    },
    { notes: ["registering -> inspecting", "inspecting -> registering", "new -> registering"], want: ["new", "registering", "inspecting", "registering"] },
    { notes: ["power on failed", "new -> registering"], want: ["new", "registering"] },
  ])("chains $notes from new, whatever order the Events are listed in", ({ notes, want }) => {
    expect(transitionChain(notes)).toEqual(want);
  });
});
