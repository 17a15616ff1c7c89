#!/usr/bin/env bash
# Builds kwok (fake nodes that run pods without a container runtime) from the Go module proxy
# into a cache keyed by version and prints the binary's path on stdout; everything else goes to
# stderr. kwok's go.mod has no replace directives, so `go install pkg@version` builds it as is.
# A cold build records how long it took in <cache>/build-info.
set -euo pipefail
version=v0.8.0
cache="${BUDGETWARDEN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/budgetwarden}/kwok/$version"
if [ -x "$cache/kwok" ]; then
  echo "$cache/kwok"; exit 0
fi
command -v go >/dev/null || {
  echo "go is not installed: kwok is built from the Go module proxy" >&2
  exit 1
}
mkdir -p "$cache"
# one build at a time per cache: a second caller waits, then finds the binary
exec 9>"$cache/.build.lock"
if ! flock -n 9; then
  echo "another build into $cache is running; waiting for it" >&2
  flock 9
fi
if [ -x "$cache/kwok" ]; then
  echo "$cache/kwok"; exit 0
fi
# go install writes straight to GOBIN; build into a private folder, then move the binary in place
staging="$cache/.staging"
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging"
export CGO_ENABLED=0 GOTOOLCHAIN=local GOBIN="$staging"
start=$(date +%s)
echo "building kwok $version into $cache (a cold build takes a few minutes)" >&2
nice -n 10 go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$version" >&2
"$staging/kwok" --version >&2
mv "$staging/kwok" "$cache/kwok"
seconds=$(( $(date +%s) - start ))
printf 'built_seconds=%s\nbuilt_at=%s\ngo=%s\n' "$seconds" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  "$(go env GOVERSION)" > "$cache/build-info"
echo "kwok built in ${seconds}s" >&2
echo "$cache/kwok"
