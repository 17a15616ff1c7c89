#!/usr/bin/env bash
# Builds kube-apiserver and etcd from the Go module proxy into a cache keyed by version.
# Prints the directory that holds both binaries (the KUBEBUILDER_ASSETS convention).
# Reuses $KUBEBUILDER_ASSETS when it already holds both binaries.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
k8s_version=$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ {print $2; exit}' "$here/go.mod")
if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/kube-apiserver" ] && [ -x "$KUBEBUILDER_ASSETS/etcd" ]; then
  echo "$KUBEBUILDER_ASSETS"; exit 0
fi
cache="${BUDGETWARDEN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/budgetwarden}/controlplane/$k8s_version"
if [ -x "$cache/kube-apiserver" ] && [ -x "$cache/etcd" ]; then
  echo "$cache"; exit 0
fi
[ -n "$k8s_version" ] || { echo "cannot read the k8s.io/kubernetes version from $here/go.mod" >&2; exit 1; }
mkdir -p "$cache"
minor=$(echo "$k8s_version" | cut -d. -f2)
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod
start=$(date +%s)
cd "$here"
echo "building kube-apiserver $k8s_version and etcd into $cache (a cold build takes several minutes)" >&2
go build -trimpath -ldflags "-s -w \
  -X k8s.io/component-base/version.gitVersion=$k8s_version \
  -X k8s.io/component-base/version.gitMajor=1 \
  -X k8s.io/component-base/version.gitMinor=$minor" \
  -o "$cache/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver >&2
go build -trimpath -ldflags "-s -w" -o "$cache/etcd.tmp" go.etcd.io/etcd/server/v3 >&2
mv "$cache/kube-apiserver.tmp" "$cache/kube-apiserver"
mv "$cache/etcd.tmp" "$cache/etcd"
echo "control-plane binaries built in $(( $(date +%s) - start ))s" >&2
echo "$cache"
