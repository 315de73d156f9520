/**
 * Names a ramdisk job without putting its inputs in status text: an image
 * URL may carry userinfo, so the key holds a digest of it, never the URL.
 */
import { createHash } from "node:crypto";
import type { Image } from "../../api/index.js";

export function imageDigest(image: Image | undefined): string {
  if (image === undefined) return "none";
  return createHash("sha256").update(`${image.url}\u0000${image.checksum ?? ""}\u0000${image.checksumType ?? ""}\u0000${image.format ?? ""}`).digest("hex").slice(0, 12);
}

export function sameImage(a: Image | undefined, b: Image | undefined): boolean {
  return imageDigest(a) === imageDigest(b);
}
