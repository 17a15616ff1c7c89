#!/usr/bin/env bash
# Installs Prometheus, promtool, Alertmanager and amtool from Debian packages when missing.
set -euo pipefail
missing=()
for bin in prometheus promtool; do command -v "$bin" >/dev/null || missing+=(prometheus); done
for bin in prometheus-alertmanager amtool; do command -v "$bin" >/dev/null || missing+=(prometheus-alertmanager); done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing ${missing[*]} from Debian packages" >&2
$sudo apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
  $(printf '%s\n' "${missing[@]}" | sort -u) >&2
