#!/usr/bin/env bash
# Builds Anvil's native code (ADR 0028): the TFTP data pump, an N-API addon
# in C. The compiled addon is cached under $HOME/.cache/anvil/native, keyed by
# the source, the flags and the compiler, and copied to
# pxe/tftp/native/build/tftp-pump.node, where pxe/tftp/native-pump.ts loads it
# (`make build` copies it into dist/). N-API is ABI-stable, so one build
# serves every Node release from 20 on.
set -euo pipefail
cd "$(dirname "$0")/.."
src=pxe/tftp/native/tftp-pump.c
out=pxe/tftp/native/build/tftp-pump.node
cc=${CC:-cc}
flags=(-O2 -std=gnu11 -Wall -Wextra -Werror -fPIC -shared -fvisibility=hidden)

# node_api.h ships with Node (prefix/include/node), as in Debian's nodejs and the node:20 image.
prefix=$(dirname "$(dirname "$(command -v node)")")
inc=""
for d in "$prefix/include/node" /usr/include/node /usr/local/include/node; do
  if [[ -f "$d/node_api.h" ]]; then inc=$d; break; fi
done
if [[ -z "$inc" ]]; then
  echo "build-native: node_api.h not found (looked in $prefix/include/node, /usr/include/node, /usr/local/include/node)" >&2
  exit 1
fi
if ! command -v "$cc" >/dev/null; then
  echo "build-native: no C compiler ($cc); install gcc" >&2
  exit 1
fi

key=$( { cat "$src" "$inc/node_api.h" "$inc/js_native_api.h"; echo "${flags[*]}"; "$cc" --version | head -1; } | sha256sum | cut -c1-16)
cache="$HOME/.cache/anvil/native/tftp-pump-$key.node"
if [[ ! -f "$cache" ]]; then
  mkdir -p "$(dirname "$cache")"
  "$cc" "${flags[@]}" -I"$inc" -o "$cache.tmp.$$" "$src" -lpthread
  mv "$cache.tmp.$$" "$cache"
fi
mkdir -p "$(dirname "$out")"
if ! cmp -s "$cache" "$out"; then cp "$cache" "$out.tmp.$$" && mv "$out.tmp.$$" "$out"; fi
echo "[native] tftp-pump ready ($out)"
