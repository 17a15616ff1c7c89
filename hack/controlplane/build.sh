#!/usr/bin/env bash
# Builds kube-apiserver and etcd from the Go module proxy into a cache keyed by version.
# Prints the directory that holds both binaries (the KUBEBUILDER_ASSETS convention) on stdout;
# everything else goes to stderr. Reuses $KUBEBUILDER_ASSETS when it already holds both binaries.
# A cold build records how long it took in <cache>/build-info (shown in the pytest header).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
k8s_version=$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ {print $2; exit}' "$here/go.mod")
if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/kube-apiserver" ] && [ -x "$KUBEBUILDER_ASSETS/etcd" ]; then
  echo "$KUBEBUILDER_ASSETS"; exit 0
fi
[ -n "$k8s_version" ] || { echo "cannot read the k8s.io/kubernetes version from $here/go.mod" >&2; exit 1; }
cache="${BUDGETWARDEN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/budgetwarden}/controlplane/$k8s_version"
built() { [ -x "$cache/kube-apiserver" ] && [ -x "$cache/etcd" ]; }
if built; then
  echo "$cache"; exit 0
fi
command -v go >/dev/null || {
  echo "go is not installed: the control-plane binaries are built from the Go module proxy" >&2
  echo "(or point KUBEBUILDER_ASSETS at a folder with kube-apiserver and etcd)" >&2
  exit 1
}
mkdir -p "$cache"
# one build at a time per cache: a second caller waits, then finds the binaries
exec 9>"$cache/.build.lock"
if ! flock -n 9; then
  echo "another build into $cache is running; waiting for it" >&2
  flock 9
fi
if built; then
  echo "$cache"; exit 0
fi
trap 'rm -f "$cache/kube-apiserver.tmp" "$cache/etcd.tmp"' EXIT
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
"$cache/kube-apiserver.tmp" --version >&2
"$cache/etcd.tmp" --version | sed -n 1p >&2  # sed reads all: no SIGPIPE under pipefail
mv "$cache/kube-apiserver.tmp" "$cache/kube-apiserver"
mv "$cache/etcd.tmp" "$cache/etcd"
seconds=$(( $(date +%s) - start ))
printf 'built_seconds=%s\nbuilt_at=%s\ngo=%s\n' "$seconds" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  "$(go env GOVERSION)" > "$cache/build-info"
echo "control-plane binaries built in ${seconds}s" >&2
echo "$cache"
