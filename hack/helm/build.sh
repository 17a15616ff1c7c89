#!/usr/bin/env bash
# Builds helm from the Go module proxy into a cache keyed by version and prints the binary's path
# on stdout; everything else goes to stderr. Reuses $HELM when it names a helm binary, then the
# cache. The version comes from this folder's go.mod (the `tool` directive pins it).
# A cold build records how long it took in <cache>/build-info.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${HELM:-}" ] && [ -x "$HELM" ]; then
  echo "$HELM"; exit 0
fi
version=$(awk '$1 == "helm.sh/helm/v3" && $2 ~ /^v/ {print $2; exit}' "$here/go.mod")
client_go=$(awk '$1 == "k8s.io/client-go" && $2 ~ /^v/ {print $2; exit}' "$here/go.mod")
[ -n "$version" ] && [ -n "$client_go" ] || {
  echo "cannot read the helm.sh/helm/v3 and k8s.io/client-go versions from $here/go.mod" >&2; exit 1
}
cache="${BUDGETWARDEN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/budgetwarden}/helm/$version"
if [ -x "$cache/helm" ]; then
  echo "$cache/helm"; exit 0
fi
command -v go >/dev/null || {
  echo "go is not installed: helm is built from the Go module proxy (or set HELM to a helm binary)" >&2
  exit 1
}
mkdir -p "$cache"
# one build at a time per cache: a second caller waits, then finds the binary
exec 9>"$cache/.build.lock"
if ! flock -n 9; then
  echo "another build into $cache is running; waiting for it" >&2
  flock 9
fi
if [ -x "$cache/helm" ]; then
  echo "$cache/helm"; exit 0
fi
trap 'rm -f "$cache/helm.tmp"' EXIT
# helm's own Makefile stamps its version and the newest Kubernetes it knows (client-go minor, +1 major)
k8s_minor=$(echo "$client_go" | cut -d. -f2)
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=readonly
start=$(date +%s)
cd "$here"
echo "building helm $version into $cache (a cold build takes a few minutes)" >&2
go build -trimpath -ldflags "-s -w \
  -X helm.sh/helm/v3/internal/version.version=$version \
  -X helm.sh/helm/v3/internal/version.gitTreeState=clean \
  -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 \
  -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$k8s_minor \
  -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 \
  -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$k8s_minor" \
  -o "$cache/helm.tmp" helm.sh/helm/v3/cmd/helm >&2
"$cache/helm.tmp" version --short >&2
mv "$cache/helm.tmp" "$cache/helm"
seconds=$(( $(date +%s) - start ))
printf 'built_seconds=%s\nbuilt_at=%s\ngo=%s\n' "$seconds" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  "$(go env GOVERSION)" > "$cache/build-info"
echo "helm built in ${seconds}s" >&2
echo "$cache/helm"
