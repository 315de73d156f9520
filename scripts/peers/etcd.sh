#!/usr/bin/env bash
# Builds etcd from go.etcd.io/etcd/server/v3 (package main) in its own wrapper
# module, kept apart from the k8s one so their dependency versions never mix.
. "$(dirname "$0")/lib.sh"
out=$ANVIL_CACHE/etcd-$ETCD_VERSION
build() {
  [ -x "$out/bin/etcd" ] && return 0
  log "building etcd v$ETCD_VERSION"
  local w=$out/wrapper; rm -rf "$w"; mkdir -p "$w"; cd "$w"
  printf 'module local.anvil/etcdbin\n\ngo 1.26.0\n' > go.mod
  go get -tool "go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
  go mod tidy
  mkdir -p "$out/bin"
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/bin/etcd.tmp" go.etcd.io/etcd/server/v3
  mv "$out/bin/etcd.tmp" "$out/bin/etcd"
}
with_lock etcd build
echo "$out/bin"
