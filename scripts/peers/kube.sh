#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and kubectl from the
# k8s.io/kubernetes Go module through a wrapper module (the module's own
# go.mod replaces every staging module with ./staging/..., so `go install`
# refuses it). Output: $ANVIL_CACHE/kube-$KUBE_VERSION/bin.
. "$(dirname "$0")/lib.sh"
out=$ANVIL_CACHE/kube-$KUBE_VERSION
build() {
  [ -x "$out/bin/kubectl" ] && return 0
  log "building kube-apiserver v$KUBE_VERSION (cold build takes several minutes)"
  local minor=${KUBE_VERSION#*.}; minor=${minor%%.*}
  local staging=0.${KUBE_VERSION#*.}
  local w=$out/wrapper; rm -rf "$w"; mkdir -p "$w"; cd "$w"
  printf 'module local.anvil/kubebin\n\ngo 1.26.0\n' > go.mod
  local gomod; gomod=$(go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" | python3 -c 'import sys,json;print(json.load(sys.stdin)["GoMod"])')
  local m
  for m in $(sed -n 's|^\s*\(k8s\.io/[a-z0-9-]*\) => \./staging/.*|\1|p' "$gomod"); do
    go mod edit -replace="$m=$m@v$staging"
  done
  go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@v$KUBE_VERSION" \
    "k8s.io/kubernetes/cmd/kube-controller-manager@v$KUBE_VERSION" \
    "k8s.io/kubernetes/cmd/kubectl@v$KUBE_VERSION"
  go mod tidy
  local ld="-s -w -X k8s.io/component-base/version.gitVersion=v$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/client-go/pkg/version.gitVersion=v$KUBE_VERSION -X k8s.io/component-base/version.gitTreeState=clean"
  mkdir -p "$out/bin.tmp"
  local c
  for c in kube-apiserver kube-controller-manager kubectl; do
    CGO_ENABLED=0 go build -trimpath -ldflags "$ld" -o "$out/bin.tmp/$c" "k8s.io/kubernetes/cmd/$c"
  done
  rm -rf "$out/bin"; mv "$out/bin.tmp" "$out/bin"
}
with_lock kube build
echo "$out/bin"
