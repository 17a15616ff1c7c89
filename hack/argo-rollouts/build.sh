#!/usr/bin/env bash
# Builds the Argo Rollouts controller (rollouts-controller) and its kubectl plugin
# (kubectl-argo-rollouts) from the Go module proxy into a cache keyed by version, and prints the
# cache folder on stdout; everything else goes to stderr. The version comes from this folder's
# go.mod, a wrapper module whose replace block is upstream's, copied verbatim (`go install
# pkg@version` refuses a module with replace directives). Upstream needs go >= 1.26.10, so this
# build, and only this one, lets the go command fetch that toolchain from the module proxy.
# A cold build records how long it took in <cache>/build-info.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
module=github.com/argoproj/argo-rollouts
version=$(awk -v m="$module" '$1 == m && $2 ~ /^v/ {print $2; exit}' "$here/go.mod")
toolchain=go$(awk '$1 == "go" {print $2; exit}' "$here/go.mod")
[ -n "$version" ] || { echo "cannot read the $module version from $here/go.mod" >&2; exit 1; }
cache="${BUDGETWARDEN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/budgetwarden}/argo-rollouts/$version"
built() { [ -x "$cache/rollouts-controller" ] && [ -x "$cache/kubectl-argo-rollouts" ]; }
if built; then
  echo "$cache"; exit 0
fi
command -v go >/dev/null || {
  echo "go is not installed: Argo Rollouts is built from the Go module proxy" >&2
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
trap 'rm -f "$cache/rollouts-controller.tmp" "$cache/kubectl-argo-rollouts.tmp"' EXIT
# The module proxy does not carry the tag's commit; with gitCommit, gitTag and a clean tree state
# all set, upstream's utils/version reports the tag itself, as a release build does.
export CGO_ENABLED=0 GOTOOLCHAIN=$toolchain GOFLAGS=-mod=readonly
start=$(date +%s)
cd "$here"
for cmd in rollouts-controller kubectl-argo-rollouts; do
  step=$(date +%s)
  echo "building $cmd $version with $toolchain into $cache (a cold build takes several minutes)" >&2
  nice -n 10 go build -trimpath -ldflags "-s -w \
    -X $module/utils/version.version=${version#v} \
    -X $module/utils/version.gitTag=$version \
    -X $module/utils/version.gitTreeState=clean \
    -X $module/utils/version.gitCommit=$version \
    -X $module/utils/version.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    -o "$cache/$cmd.tmp" "$module/cmd/$cmd" >&2
  echo "$cmd built in $(( $(date +%s) - step ))s" >&2
done
"$cache/rollouts-controller.tmp" --version >&2
"$cache/kubectl-argo-rollouts.tmp" version --short >&2
mv "$cache/rollouts-controller.tmp" "$cache/rollouts-controller"
mv "$cache/kubectl-argo-rollouts.tmp" "$cache/kubectl-argo-rollouts"
seconds=$(( $(date +%s) - start ))
printf 'built_seconds=%s\nbuilt_at=%s\ngo=%s\n' "$seconds" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  "$toolchain" > "$cache/build-info"
echo "Argo Rollouts built in ${seconds}s" >&2
echo "$cache"
