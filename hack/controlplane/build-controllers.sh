#!/usr/bin/env bash
# Builds kube-controller-manager and kube-scheduler from the Go module proxy into the same cache
# folder as build.sh (keyed by the k8s.io/kubernetes version in go.mod), beside kube-apiserver and
# etcd, which it leaves alone. Prints that folder on stdout; everything else goes to stderr.
# Shares build.sh's lock, so only one build runs in the folder at a time.
# A cold build records how long it took in <cache>/build-info-controllers.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
k8s_version=$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ {print $2; exit}' "$here/go.mod")
[ -n "$k8s_version" ] || { echo "cannot read the k8s.io/kubernetes version from $here/go.mod" >&2; exit 1; }
cache="${BUDGETWARDEN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/budgetwarden}/controlplane/$k8s_version"
built() { [ -x "$cache/kube-controller-manager" ] && [ -x "$cache/kube-scheduler" ]; }
if built; then
  echo "$cache"; exit 0
fi
command -v go >/dev/null || {
  echo "go is not installed: the controller binaries are built from the Go module proxy" >&2
  exit 1
}
mkdir -p "$cache"
exec 9>"$cache/.build.lock"
if ! flock -n 9; then
  echo "another build into $cache is running; waiting for it" >&2
  flock 9
fi
if built; then
  echo "$cache"; exit 0
fi
trap 'rm -f "$cache/kube-controller-manager.tmp" "$cache/kube-scheduler.tmp"' EXIT
minor=$(echo "$k8s_version" | cut -d. -f2)
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod
start=$(date +%s)
cd "$here"
for cmd in kube-controller-manager kube-scheduler; do
  step=$(date +%s)
  echo "building $cmd $k8s_version into $cache (a cold build takes a few minutes)" >&2
  nice -n 10 go build -trimpath -ldflags "-s -w \
    -X k8s.io/component-base/version.gitVersion=$k8s_version \
    -X k8s.io/component-base/version.gitMajor=1 \
    -X k8s.io/component-base/version.gitMinor=$minor" \
    -o "$cache/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd" >&2
  "$cache/$cmd.tmp" --version >&2
  echo "$cmd built in $(( $(date +%s) - step ))s" >&2
done
mv "$cache/kube-controller-manager.tmp" "$cache/kube-controller-manager"
mv "$cache/kube-scheduler.tmp" "$cache/kube-scheduler"
seconds=$(( $(date +%s) - start ))
printf 'built_seconds=%s\nbuilt_at=%s\ngo=%s\n' "$seconds" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  "$(go env GOVERSION)" > "$cache/build-info-controllers"
echo "kube-controller-manager and kube-scheduler built in ${seconds}s" >&2
echo "$cache"
