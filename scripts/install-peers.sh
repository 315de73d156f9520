#!/usr/bin/env bash
# Installs or builds every test peer. Idempotent and cached: a warm run takes
# seconds. Prints one line per peer with the time it took.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
step() {
  local name=$1; shift
  local t0=$SECONDS
  "$@" >/dev/null
  printf '[peers] %-8s ready (%ds)\n' "$name" $((SECONDS - t0))
}
step debian bash "$here/peers/debian.sh"
step python bash "$here/peers/python.sh"
step etcd bash "$here/peers/etcd.sh"
step kube bash "$here/peers/kube.sh"
step capi bash "$here/peers/capi.sh"
