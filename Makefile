# Anvil's entry points. `make demo` and `make test` work on a fresh machine:
# each installs what it needs (npm packages, test peers cached under
# $HOME/.cache/anvil) before it runs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

NODE_STAMP := node_modules/.package-lock.json

.PHONY: help deps peers build lint typecheck manifests verify-manifests unit e2e test demo release bench testenv-up testenv-down clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: $(NODE_STAMP) ## install npm packages and build the native TFTP pump (ADR 0028; cached under $$HOME/.cache/anvil)
	@bash scripts/build-native.sh

peers: ## install or build every test peer (cached under $$HOME/.cache/anvil)
	bash scripts/install-peers.sh

build: deps ## compile TypeScript to dist/, with the native TFTP pump beside its loader
	npx tsc -p tsconfig.build.json
	mkdir -p dist/pxe/tftp/native/build && cp pxe/tftp/native/build/tftp-pump.node dist/pxe/tftp/native/build/

lint: deps ## ESLint (type-aware) and the TypeScript compiler
	npx tsc -p tsconfig.json --noEmit
	npx eslint --max-warnings 0 .

typecheck: deps
	npx tsc -p tsconfig.json --noEmit

manifests: deps ## regenerate CRD YAML from api/
	npx tsx scripts/generate-crds.ts

verify-manifests: deps ## fail when committed generated files differ from their sources
	bash scripts/verify-generated.sh

unit: deps ## fast unit tests only
	npx vitest run --project unit

e2e: deps peers ## tests against real peers only
	npx vitest run --project e2e

test: deps ## every test: lint, generated-file drift, unit and real-peer tests
	bash scripts/test.sh

release: deps ## clusterctl release artifacts into out/ (components, metadata.yaml, cluster templates)
	npx tsx scripts/release.ts

bench: deps peers ## every benchmark against its anchor (bench/README.md); slow, run on a quiet machine
	npx tsx bench/bmc/ipmi-vs-ipmitool.ts
	npx tsx bench/bmc/redfish-vs-sushy.ts
	npx tsx bench/pxe/dhcp-leases.ts
	npx tsx bench/pxe/tftp-throughput.ts
	npx tsx bench/pxe/tftp-burst.ts
	npx tsx bench/pxe/vm-boot-time.ts
	npx tsx bench/fleet.ts
	npx tsx bench/cluster.ts

demo: deps ## local API server + emulated BMCs + a fleet of hosts, while you watch
	bash scripts/demo.sh

testenv-up: deps ## start a local control plane for a person (prints KUBECONFIG)
	bash scripts/testenv up

testenv-down: ## stop it and remove its data
	bash scripts/testenv down

clean:
	rm -rf dist out .tmp
