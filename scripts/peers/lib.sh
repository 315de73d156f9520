# Shared helpers for the peer install scripts. Source it; do not run it.
set -euo pipefail
PEERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$PEERS_DIR/versions.env"
ANVIL_CACHE=${ANVIL_CACHE:-$HOME/.cache/anvil}
export GOMODCACHE=${GOMODCACHE_OVERRIDE:-$ANVIL_CACHE/go/mod}
export GOCACHE=$ANVIL_CACHE/go/build
export GOTOOLCHAIN=local
export GOFLAGS=-buildvcs=false
mkdir -p "$ANVIL_CACHE"

log() { printf '[peers] %s\n' "$*" >&2; }

# with_lock NAME CMD...: serialise concurrent installs of one peer (parallel
# test workers, or a person running make test and make demo at once).
with_lock() {
  local name=$1; shift
  mkdir -p "$ANVIL_CACHE/locks"
  ( flock 9; "$@" ) 9>"$ANVIL_CACHE/locks/$name.lock"
}
