/**
 * The image to write to a host, shared by BareMetalHost `spec.image` and
 * Anvil's machine `spec.image`.
 */
import { enumOf, obj, str, type Infer } from "../../schema/builder.js";
import { CHECKSUM_TYPES, IMAGE_FORMATS } from "./constants.js";

/** Schemes the deploy agent can fetch from; `oci://` is Metal3's registry form. */
export const IMAGE_URL_PATTERN = "^(https?|file|oci)://[^\\s]+$";

/**
 * Metal3 requires a checksum for every image but a live ISO or an OCI
 * artifact (baremetalhost_types.go, Image.Checksum); its webhook says so, here
 * the API server says so with CEL.
 */
const CHECKSUM_RULE = {
  rule: "(has(self.checksum) && self.checksum != '') || (has(self.format) && self.format == 'live-iso') || self.url.startsWith('oci://')",
  message: "checksum is required unless format is live-iso or the url is oci://",
  fieldPath: ".checksum",
  reason: "FieldValueRequired",
} as const;

/**
 * `strict` adds the URL shape and checksum rule for what a person writes;
 * status copies stay lax because Go clients serialise an empty image as
 * `{url: ""}` and a restored status must still be accepted.
 */
export function imageSchema(description: string, opts: { readonly strict: boolean } = { strict: true }) {
  return obj(
    description,
    {
      url: str(
        "URL of the image to deploy (http, https, file or oci scheme).",
        opts.strict ? { pattern: IMAGE_URL_PATTERN, maxLength: 2048 } : {},
      ),
      checksum: str(
        "The image's checksum, or a URL of a checksum file. Required for every format but live-iso and oci:// images.",
      ),
      checksumType: enumOf(
        'The checksum algorithm. "auto" detects it from the checksum; md5 when unset.',
        CHECKSUM_TYPES,
      ),
      format: enumOf('The image format. "live-iso" boots the ISO instead of writing it to disk.', IMAGE_FORMATS),
      ociAuthSecretName: str("A docker-config Secret in the host's namespace with credentials for an oci:// image."),
    },
    { required: ["url"], ...(opts.strict ? { validations: [CHECKSUM_RULE] } : {}) },
  );
}

export const bareMetalHostImageSchema = imageSchema(
  "The image to provision. Setting it starts provisioning; clearing it deprovisions.",
);
export type Image = Infer<typeof bareMetalHostImageSchema>;
