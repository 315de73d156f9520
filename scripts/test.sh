#!/usr/bin/env bash
# `make test`: peers, lint, generated-file drift, then every vitest project.
# Ends with one plain line "N passed, N failed, N skipped" read by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS
bash scripts/install-peers.sh
echo "[test] lint"; npx tsc -p tsconfig.json --noEmit; npx eslint --max-warnings 0 .
echo "[test] generated files"; bash scripts/verify-generated.sh
echo "[test] ramdisk agent (go test)"
( cd ramdisk/agent && GOTOOLCHAIN=local GOFLAGS=-buildvcs=false GOCACHE="$HOME/.cache/anvil/go/build" \
    GOMODCACHE="$HOME/.cache/anvil/go/mod" go test -count=1 ./... )
mkdir -p .tmp
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest.json || status=$?
node scripts/test-summary.mjs .tmp/vitest.json || status=1
echo "[test] total $((SECONDS - t0))s"
exit $status
