#!/usr/bin/env bash
# Builds (or reuses from the cache) every binary of the live cluster, one build after the other:
# kube-apiserver and etcd, kube-controller-manager and kube-scheduler, kwok, and Argo Rollouts'
# controller and kubectl plugin. Prints one line per binary on stdout, `<name> <path>`; progress
# goes to stderr. A cold build of the set takes about a quarter of an hour on two cores.
set -euo pipefail
hack=$(cd "$(dirname "$0")/.." && pwd)
root="${BUDGETWARDEN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/budgetwarden}"
mkdir -p "$root"
# each build peaks near 2 GB and uses every core: a second caller waits for the first
exec 8>"$root/.live-build.lock"
if ! flock -n 8; then
  echo "another build of the live cluster's binaries is running; waiting for it" >&2
  flock 8
fi
controlplane=$(bash "$hack/controlplane/build.sh")
controllers=$(bash "$hack/controlplane/build-controllers.sh")
kwok=$(bash "$hack/kwok/build.sh")
argo=$(bash "$hack/argo-rollouts/build.sh")
echo "kube-apiserver $controlplane/kube-apiserver"
echo "etcd $controlplane/etcd"
echo "kube-controller-manager $controllers/kube-controller-manager"
echo "kube-scheduler $controllers/kube-scheduler"
echo "kwok $kwok"
echo "rollouts-controller $argo/rollouts-controller"
echo "kubectl-argo-rollouts $argo/kubectl-argo-rollouts"
