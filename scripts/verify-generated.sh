#!/usr/bin/env bash
# Fails when a committed generated file differs from what its generator makes
# now (CRD YAML from api/). Generates into a scratch dir; never rewrites the tree.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
npx tsx scripts/generate-crds.ts --out "$tmp/crd"
if ! diff -ru manifests/crd "$tmp/crd"; then
  echo "manifests/crd is out of date with api/: run 'make manifests' and commit the result." >&2
  exit 1
fi
echo "[generated] manifests/crd matches api/"
