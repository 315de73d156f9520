#!/usr/bin/env bash
# Builds the Cluster API core manager, the kubeadm bootstrap and control-plane
# managers and clusterctl from sigs.k8s.io/cluster-api, and keeps CAPI's own
# config/ trees (CRDs, webhooks, kustomize bases) next to them for the tests.
. "$(dirname "$0")/lib.sh"
out=$ANVIL_CACHE/capi-$CAPI_VERSION
build() {
  [ -x "$out/bin/clusterctl" ] && return 0
  log "building cluster-api v$CAPI_VERSION"
  local w=$out/wrapper; rm -rf "$w"; mkdir -p "$w"; cd "$w"
  printf 'module local.anvil/capibin\n\ngo 1.26.0\n' > go.mod
  go mod edit -replace="sigs.k8s.io/cluster-api/api=sigs.k8s.io/cluster-api/api@v$CAPI_VERSION"
  go get -tool "sigs.k8s.io/cluster-api/core@v$CAPI_VERSION" \
    "sigs.k8s.io/cluster-api/cmd/clusterctl@v$CAPI_VERSION" \
    "sigs.k8s.io/cluster-api/bootstrap/kubeadm@v$CAPI_VERSION" \
    "sigs.k8s.io/cluster-api/controlplane/kubeadm@v$CAPI_VERSION"
  go mod tidy
  local v=sigs.k8s.io/cluster-api/version
  local minor=${CAPI_VERSION#*.}; minor=${minor%%.*}
  local ld="-s -w -X $v.gitVersion=v$CAPI_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean -X $v.buildDate=1970-01-01T00:00:00Z"
  mkdir -p "$out/bin.tmp"
  CGO_ENABLED=0 go build -trimpath -ldflags "$ld" -o "$out/bin.tmp/capi-manager" sigs.k8s.io/cluster-api/core
  CGO_ENABLED=0 go build -trimpath -ldflags "$ld" -o "$out/bin.tmp/clusterctl" sigs.k8s.io/cluster-api/cmd/clusterctl
  CGO_ENABLED=0 go build -trimpath -ldflags "$ld" -o "$out/bin.tmp/kubeadm-bootstrap-manager" sigs.k8s.io/cluster-api/bootstrap/kubeadm
  CGO_ENABLED=0 go build -trimpath -ldflags "$ld" -o "$out/bin.tmp/kubeadm-control-plane-manager" sigs.k8s.io/cluster-api/controlplane/kubeadm
  # CAPI's config trees (CRDs, webhooks) from the module cache, read-only there.
  local src; src=$(go list -m -f '{{.Dir}}' sigs.k8s.io/cluster-api)
  rm -rf "$out/config"; mkdir -p "$out/config"
  if [ -d "$src/core/config" ]; then cp -r "$src/core/config" "$out/config/core"; else cp -r "$src/config" "$out/config/core"; fi
  cp -r "$src/bootstrap/kubeadm/config" "$out/config/bootstrap-kubeadm"
  cp -r "$src/controlplane/kubeadm/config" "$out/config/control-plane-kubeadm"
  chmod -R u+w "$out/config"
  rm -rf "$out/bin"; mv "$out/bin.tmp" "$out/bin"
}
with_lock capi build
echo "$out/bin"
