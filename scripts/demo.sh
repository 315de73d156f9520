#!/usr/bin/env bash
# `make demo`: installs what the demo needs (npm packages, the Debian and
# Python peers, etcd and kube-apiserver), then runs e2e/demo/main.ts: a local
# API server, emulated BMCs (sushy-tools) played by simulated firmware and
# ramdisk agents, Anvil's CRDs, `anvil manager`, and a sample inventory that
# goes registering → inspecting → available → provisioning → provisioned,
# shown with `kubectl get bmh -o wide`. It ends by itself (DEMO_TIMEOUT).
#
#   DEMO_KEEP=1 make demo     leave it running in the background; prints KUBECONFIG
#   scripts/demo.sh stop      stop a kept demo
#
# Other settings (DEMO_HOSTS, DEMO_ROUNDS, DEMO_INTERVAL, ...): e2e/demo/config.ts.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
state=${ANVIL_DEMO_DIR:-$HOME/.cache/anvil/demo}
cd "$root"

say() { printf '[demo] %s\n' "$*" >&2; }

# PID 1 here reaps no orphans: a finished demo may linger as a zombie.
alive() {
  local pid=$1
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  ! grep -qE '^[0-9]+ \(.*\) Z ' "/proc/$pid/stat"
}

stop_kept() {
  local pid; pid=$(cat "$state/demo.pid" 2>/dev/null || true)
  if alive "$pid"; then
    kill -TERM "$pid"
    local i
    for i in $(seq 1 300); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then say "demo $pid did not stop in 30 s; killing it"; kill -KILL "$pid" || true; fi
    say "stopped the kept demo ($pid)"
  fi
  rm -rf "$state"
}

if [ "${1:-}" = "stop" ]; then stop_kept; exit 0; fi

[ -f node_modules/.package-lock.json ] || npm ci --no-audit --no-fund
t0=$SECONDS
for peer in debian python etcd kube; do bash "scripts/peers/$peer.sh" >/dev/null; done
say "peers ready ($((SECONDS - t0)) s)"

if [ "${DEMO_KEEP:-0}" != "1" ] && [ "${DEMO_KEEP:-0}" != "true" ]; then
  exec node --import tsx e2e/demo/main.ts
fi

stop_kept
mkdir -p "$state"
: >"$state/demo.log"
# setsid -f + nohup: the kept demo outlives this script and the terminal.
DEMO_READY_FILE="$state/ready" DEMO_PID_FILE="$state/demo.pid" \
  setsid -f nohup node --import tsx e2e/demo/main.ts >>"$state/demo.log" 2>&1 </dev/null
tail -n +1 -f "$state/demo.log" &
tailer=$!
trap 'kill "$tailer" 2>/dev/null || true' EXIT
deadline=$((SECONDS + ${DEMO_TIMEOUT:-300} + 30))
while [ ! -s "$state/ready" ]; do
  pid=$(cat "$state/demo.pid" 2>/dev/null || true)
  if { [ -n "$pid" ] && ! alive "$pid"; } || [ $SECONDS -ge $deadline ]; then
    sleep 0.5
    say "the demo ended before it was ready (log: $state/demo.log)"
    exit 1
  fi
  sleep 0.3
done
sleep 0.3
kill "$tailer" 2>/dev/null || true
printf '\nThe demo keeps running. Use it with:\n'
cat "$state/ready"
printf 'Stop it with: scripts/demo.sh stop (log: %s)\n' "$state/demo.log"
