#!/usr/bin/env bash
# Builds the operator's image from Containerfile with buildah, on bases made from Debian packages
# (no registry, no Docker engine), and exports it with a CycloneDX SBOM of its Python packages:
#   dist/budgetwarden-<version>.oci.tar   dist/budgetwarden-<version>.cdx.json
# Installs mmdebstrap and buildah (Debian packages) when missing. Each base is cached twice, as a
# tarball under ~/.cache/budgetwarden/image/<suite>-<hash of its package list and hook> and as an
# image in buildah's storage there; pip's downloads stay in a cache mount between builds.
# Prints the archive's path on stdout; everything else goes to stderr. Called by `make image`,
# `make release` and tests/integration/test_image.py.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
repository=${IMAGE_REPOSITORY:-ghcr.io/budgetwarden/budgetwarden}
cache="${BUDGETWARDEN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/budgetwarden}/image"
suite=bookworm
mirrors=(
  "deb http://deb.debian.org/debian $suite main"
  "deb http://deb.debian.org/debian $suite-updates main"
  "deb http://deb.debian.org/debian-security $suite-security main"
)
# the build stage needs a shell, Python with venv and CA certificates; the runtime only Python
build_packages=python3-venv,ca-certificates
runtime_packages=python3.11-minimal,libpython3.11-stdlib,base-files
# Images live in a storage of their own under the cache. vfs works wherever buildah does (no
# overlay mounts inside containers) but copies the whole tree for every layer, so the layer cache
# costs more than it saves there; BUILDAH_STORAGE_DRIVER=overlay, where the kernel allows it,
# turns the layer cache on. chroot isolation needs no runtime such as runc.
driver=${BUILDAH_STORAGE_DRIVER:-vfs}
layers=false; [ "$driver" = vfs ] || layers=true
buildah=(buildah --root "$cache/storage/$driver" --runroot "$cache/run/$driver" --storage-driver "$driver")

ensure_tools() {
  local missing=()
  command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
  command -v buildah >/dev/null || missing+=(buildah)
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing ${missing[*]} from Debian packages" >&2
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >&2
}

# make_base ROLE VARIANT PACKAGES [EXTRACT_HOOK]: the name of the base image in buildah's storage;
# made with mmdebstrap (or taken from the tarball cache) and imported when missing
make_base() {
  local role=$1 variant=$2 packages=$3 hook=${4:-} hash tarball image ctr
  hash=$( { printf '%s\n' "$suite" "$variant" "$packages" "${mirrors[@]}";
            [ -z "$hook" ] || cat "$hook"; } | sha256sum | cut -c1-12)
  tarball="$cache/$suite-$hash/$role.tar"
  image="localhost/budgetwarden-base:$role-$suite-$hash"
  if "${buildah[@]}" inspect --type image "$image" >/dev/null 2>&1; then
    echo "$image"; return 0
  fi
  if [ ! -f "$tarball" ]; then
    echo "making the $role base from Debian $suite packages: $packages" >&2
    mkdir -p "$(dirname "$tarball")"
    local hooks=()
    [ -z "$hook" ] || hooks=(--extract-hook "bash '$hook' \"\$1\"")
    mmdebstrap --quiet --format=tar --variant="$variant" --include="$packages" \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
      "${hooks[@]}" "$suite" "$tarball.tmp" "${mirrors[@]}" >&2
    mv "$tarball.tmp" "$tarball"
  fi
  ctr=$("${buildah[@]}" from scratch)
  "${buildah[@]}" add --quiet "$ctr" "$tarball" / >&2
  "${buildah[@]}" config --env PATH=/usr/local/bin:/usr/bin:/bin "$ctr" >&2
  "${buildah[@]}" commit --quiet --rm "$ctr" "$image" >/dev/null
  # a base of this role made from another package list or hook is not needed any more
  "${buildah[@]}" images --format '{{.Name}}:{{.Tag}}' | grep "^${image%%:*}:$role-" \
    | grep -v -x -F "$image" | xargs -r "${buildah[@]}" rmi >/dev/null || true
  echo "$image"
}

# the CA bundle pip on this machine trusts, when one is configured (a proxy that inspects TLS)
pip_cert() {
  local cert=${PIP_CERT:-}
  [ -n "$cert" ] || cert=$(python3 -m pip config get global.cert 2>/dev/null || true)
  [ -z "$cert" ] || [ ! -f "$cert" ] || echo "$cert"
}

# the package index pip on this machine uses
pip_index() {
  [ -z "${PIP_INDEX_URL:-}" ] || { echo "$PIP_INDEX_URL"; return 0; }
  python3 -m pip config get global.index-url 2>/dev/null || echo https://pypi.org/simple
}

ensure_tools
# buildah keeps the pip cache mount, and mmdebstrap its scratch root, under TMPDIR
export TMPDIR="$cache/tmp"
mkdir -p "$TMPDIR" "$root/dist"
# one build at a time: a second caller waits, then reuses every cached layer
exec 9>"$cache/.build.lock"
flock 9
start=$(date +%s)
version=$(python3 -c 'import sys, tomllib; print(tomllib.load(sys.stdin.buffer)["project"]["version"])' \
  < "$root/pyproject.toml")
revision=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
build_base=$(make_base build essential "$build_packages")
runtime_base=$(make_base runtime extract "$runtime_packages" "$here/runtime-rootfs.sh")
args=(--build-arg "BUILD_BASE=$build_base" --build-arg "RUNTIME_BASE=$runtime_base"
      --build-arg "VERSION=$version" --build-arg "REVISION=$revision"
      --build-arg "PIP_INDEX_URL=$(pip_index)")
cert=$(pip_cert); [ -z "$cert" ] || args+=(--secret "id=pip-cert,src=$cert")
echo "building $repository:$version at $revision" >&2
"${buildah[@]}" bud --isolation chroot --network host --layers="$layers" --pull=false "${args[@]}" \
  --file "$root/Containerfile" --tag "$repository:$version" "$root" >&2
# without the layer cache nothing untagged is worth keeping: earlier builds, stage images
[ "$layers" = true ] || "${buildah[@]}" rmi --prune >/dev/null

archive="$root/dist/budgetwarden-$version.oci.tar"
sbom="$root/dist/budgetwarden-$version.cdx.json"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -f "$archive"
"${buildah[@]}" push --quiet --digestfile "$work/digest" "$repository:$version" \
  "oci-archive:$archive:$repository:$version" >&2
digest=$(cat "$work/digest")
python3 "$here/sbom.py" "$archive" > "$work/sbom.json"
mv "$work/sbom.json" "$sbom"
size=$("${buildah[@]}" images --format '{{.Size}}' "$repository:$version")
echo "image $repository:$version: $size unpacked, $(du -h "$archive" | cut -f1) archive," \
  "digest $digest, built in $(( $(date +%s) - start ))s" >&2
echo "sbom $sbom" >&2
echo "$archive"
