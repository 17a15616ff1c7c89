#!/usr/bin/env bash
# Builds (or reuses from the cache) the metrics backends the compatibility tests run, from the Go
# module proxy, one build after the other:
#   prometheus3      prometheus and promtool 3.x
#   thanos           thanos (sidecar and querier in one binary)
#   victoriametrics  victoria-metrics (single node) and vmalert
# `build.sh NAME` prints the cache folder of one backend; `build.sh` with no argument builds all
# three and prints `<name> <folder>` per backend. Progress goes to stderr.
# Each backend's version comes from the go.mod of its folder here, a wrapper module (`go install
# pkg@version` refuses modules with replace directives, which Thanos has; its replace block is
# upstream's, copied verbatim). BUDGETWARDEN_<NAME>_DIR (for example BUDGETWARDEN_THANOS_DIR)
# points at a folder that already holds the binaries and skips the build.
# A cold build records how long it took in <cache>/build-info.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root="${BUDGETWARDEN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/budgetwarden}"

# name → module, binaries (package:binary), build tags, version variable package
describe() {
  case "$1" in
    prometheus3)
      module=github.com/prometheus/prometheus
      packages="cmd/prometheus:prometheus cmd/promtool:promtool"
      # service discovery is not needed (static targets and files only) and is most of the build
      tags=remove_all_sd
      version_pkg=github.com/prometheus/common/version ;;
    thanos)
      module=github.com/thanos-io/thanos
      packages="cmd/thanos:thanos"
      # upstream's release tags (.promu.yml): Thanos casts Prometheus labels to its own wire
      # type, which only matches the slice layout; without it the sidecar panics on first use
      tags=netgo,slicelabels
      version_pkg=github.com/prometheus/common/version ;;
    victoriametrics)
      module=github.com/VictoriaMetrics/VictoriaMetrics
      packages="app/victoria-metrics:victoria-metrics app/vmalert:vmalert"
      tags=""
      version_pkg="" ;;
    sloth)
      # not a backend: the peer the rule-cost benchmark compares with (make bench only)
      module=github.com/slok/sloth
      packages="cmd/sloth:sloth"
      tags=""
      version_pkg="" ;;
    *) echo "unknown backend '$1': prometheus3, thanos, victoriametrics or sloth" >&2; exit 2 ;;
  esac
}

build_one() {
  local name=$1 dir_var version cache bins pkg bin start
  describe "$name"
  dir_var="BUDGETWARDEN_$(echo "$name" | tr '[:lower:]' '[:upper:]')_DIR"
  bins=""
  for pkg in $packages; do bins="$bins ${pkg#*:}"; done
  if [ -n "${!dir_var:-}" ]; then
    for bin in $bins; do
      [ -x "${!dir_var}/$bin" ] || { echo "$dir_var=${!dir_var} has no $bin" >&2; exit 1; }
    done
    echo "${!dir_var}"; return
  fi
  version=$(awk -v m="$module" '$1 == m && $2 ~ /^v/ {print $2; exit}' "$here/$name/go.mod")
  [ -n "$version" ] || { echo "cannot read the $module version from $here/$name/go.mod" >&2; exit 1; }
  # the build tags are part of the key: a binary built with other tags is another binary
  cache="$root/$name/$version${tags:+-${tags//,/-}}"
  built() { for bin in $bins; do [ -x "$cache/$bin" ] || return 1; done; }
  if built; then echo "$cache"; return; fi
  command -v go >/dev/null || { echo "go is not installed: $name is built from the Go module proxy" >&2; exit 1; }
  mkdir -p "$cache"
  # one build at a time per cache: a second caller waits, then finds the binaries
  exec 9>"$cache/.build.lock"
  if ! flock -n 9; then
    echo "another build into $cache is running; waiting for it" >&2
    flock 9
  fi
  if built; then echo "$cache"; return; fi
  start=$(date +%s)
  (
    cd "$here/$name"
    export CGO_ENABLED=0 GOFLAGS=-mod=readonly
    # Thanos needs a newer Go than this machine's; the go command fetches that exact toolchain
    # from the module proxy (as for Argo Rollouts). The others build with the local Go.
    [ "$name" = thanos ] && export GOTOOLCHAIN=go$(awk '$1 == "go" {print $2; exit}' go.mod)
    for pkg in $packages; do
      local ldflags="-s -w"
      # Prometheus 3.16.0 for module v0.316.0; Thanos and VictoriaMetrics tag as themselves
      local shown=$version
      [ "$name" = prometheus3 ] && shown="3.$(echo "$version" | cut -d. -f2 | sed 's/^3//').$(echo "$version" | cut -d. -f3)"
      [ -n "$version_pkg" ] && ldflags="$ldflags -X $version_pkg.Version=${shown#v} -X $version_pkg.Branch=HEAD -X $version_pkg.Revision=$version"
      [ "$name" = victoriametrics ] && ldflags="$ldflags -X github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version=${pkg#*:}-$version"
      echo "building ${pkg#*:} $version into $cache (a cold build takes several minutes)" >&2
      step=$(date +%s)
      nice -n 10 go build -trimpath -tags "$tags" -ldflags "$ldflags" -o "$cache/${pkg#*:}.tmp" "$module/${pkg%%:*}" >&2
      echo "${pkg#*:} built in $(( $(date +%s) - step ))s" >&2
    done
  )
  for bin in $bins; do mv "$cache/$bin.tmp" "$cache/$bin"; done
  printf 'built_seconds=%s\nbuilt_at=%s\ngo=%s\n' "$(( $(date +%s) - start ))" \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(go env GOVERSION)" > "$cache/build-info"
  echo "$name $version built in $(( $(date +%s) - start ))s" >&2
  echo "$cache"
}

if [ $# -gt 0 ]; then
  build_one "$1"
  exit
fi
# each build peaks near 2 GB and uses every core: a second caller waits for the first
mkdir -p "$root"
exec 8>"$root/.backends-build.lock"
if ! flock -n 8; then
  echo "another build of the metrics backends is running; waiting for it" >&2
  flock 8
fi
for name in prometheus3 thanos victoriametrics; do
  echo "$name $(build_one "$name")"
done
