#!/usr/bin/env bash
# `make demo`: the whole loop on this machine, then a drill that burns error budget for real.
# Starts the demo stack (`budgetwarden demo up --workloads`: with the controllers, so the demo's
# Rollout is a real canary), runs `budgetwarden drill fast-burn`, prints the alert review of what
# the drill raised (`budgetwarden report alerts` over the drill's incident window), and stops the
# stack on the way out, whatever happened; exits with the drill's exit code. BUDGETWARDEN_DEMO_WORKLOADS=no
# leaves the controllers out (no canary; the binaries need no build).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
dir="${BUDGETWARDEN_DEMO_DIR:-.cache/demo}"
KUBEBUILDER_ASSETS="$(bash hack/controlplane/build.sh)"
export KUBEBUILDER_ASSETS

# A stack that was already running here is someone else's: `demo up` refuses, and we leave it.
[ -f "$dir/state.json" ] && someone_elses=yes || someone_elses=""
up_ok=""
cleanup() {
  if [ -z "$someone_elses" ] || [ -n "$up_ok" ]; then
    echo "== stopping the demo stack" >&2
    "$bin/budgetwarden" demo down --dir "$dir" || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

workloads=(--workloads)
[ "${BUDGETWARDEN_DEMO_WORKLOADS:-yes}" = no ] && workloads=()
echo "== starting the demo stack: control plane${workloads:+ and controllers}, demo service," \
  "Prometheus, rules-sync, operator" >&2
exports="$("$bin/budgetwarden" demo up --dir "$dir" "${workloads[@]}")"
up_ok=yes
eval "$exports"
echo "== budgetwarden drill fast-burn" >&2
drill=0
"$bin/budgetwarden" drill fast-burn || drill=$?
echo "== budgetwarden report alerts --since 15m --incidents $BUDGETWARDEN_DEMO_INCIDENTS" >&2
"$bin/budgetwarden" report alerts --since 15m --incidents "$BUDGETWARDEN_DEMO_INCIDENTS" || true
exit "$drill"
