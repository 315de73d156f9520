/**
 * Names a ramdisk job without putting its inputs in status text. An image
 * URL may carry userinfo (`https://user:pass@host/...`); status keeps the URL
 * without it, and comparisons between spec and status use that form.
 */
import { createHash } from "node:crypto";
import type { Image } from "../../api/index.js";

/** The URL with any userinfo removed (RFC 3986 §3.2.1 deprecates passwords there). */
export function withoutUserinfo(url: string): string {
  try {
    const u = new URL(url);
    if (u.username === "" && u.password === "") return url;
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return url.replace(/\/\/[^/@]*@/, "//");
  }
}

/** The image as status may show it. */
export function statusImage(image: Image): Image {
  return { ...image, url: withoutUserinfo(image.url) };
}

export function imageDigest(image: Image | undefined): string {
  if (image === undefined) return "none";
  const url = withoutUserinfo(image.url);
  return createHash("sha256").update(`${url}\u0000${image.checksum ?? ""}\u0000${image.checksumType ?? ""}\u0000${image.format ?? ""}`).digest("hex").slice(0, 12);
}

export function sameImage(a: Image | undefined, b: Image | undefined): boolean {
  return imageDigest(a) === imageDigest(b);
}
