/**
 * The deploy instruction's image (docs/agent-protocol.md § image) from a
 * Metal3 `Image`. Metal3's `checksum` holds either a digest or the URL of a
 * checksum file; its `checksumType` may be unset or `auto`. The agent needs
 * an explicit algorithm, so an unset or `auto` type is taken from the
 * digest's length (md5 32, sha256 64, sha512 128 hex digits); for a checksum
 * URL without a type the schema's default, md5, applies.
 */
import type { Image } from "../../api/index.js";
import type { AgentImage } from "../../pxe/agent-backend.js";

const BY_LENGTH: Readonly<Record<number, string>> = { 32: "md5", 64: "sha256", 128: "sha512" };
const EXPLICIT = new Set(["md5", "sha256", "sha512"]);

export function agentImageOf(image: Image): AgentImage {
  const checksum = image.checksum ?? "";
  const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(checksum);
  const declared = image.checksumType ?? "";
  const checksumType = EXPLICIT.has(declared) ? declared : isUrl ? "md5" : (BY_LENGTH[checksum.length] ?? "md5");
  return {
    url: image.url,
    ...(isUrl ? { checksumUrl: checksum } : checksum !== "" ? { checksum } : {}),
    checksumType,
    ...(image.format !== undefined ? { format: image.format } : {}),
  };
}
