import { describe, expect, it } from "vitest";
import { sameImage, withoutUserinfo } from "./job-key.js";

describe("image URLs in status", () => {
  it.each([
    ["https://u:p@images.example/a.raw", "https://images.example/a.raw"],
    ["http://images.example/a.raw", "http://images.example/a.raw"],
    ["oci://u:p@registry.example/img:1", "oci://registry.example/img:1"],
  ])("shows %s as %s", (url, shown) => {
    expect(withoutUserinfo(url)).toBe(shown);
  });

  it.each([
    [{ url: "http://a/x", checksum: "1" }, { url: "http://a/x", checksum: "1" }, true],
    [{ url: "http://u:p@a/x", checksum: "1" }, { url: "http://a/x", checksum: "1" }, true],
    [{ url: "http://a/x", checksum: "1" }, { url: "http://a/x", checksum: "2" }, false],
    [{ url: "http://a/x", checksum: "1" }, undefined, false],
  ])("compares %o and %o as the same image: %s", (a, b, same) => {
    expect(sameImage(a, b)).toBe(same);
  });
});
