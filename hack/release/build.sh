#!/usr/bin/env bash
# Builds the release set into dist/ and checks that every part of it names one version:
#   budgetwarden-<v>-py3-none-any.whl, budgetwarden-<v>.tar.gz   python -m build, twine check
#   budgetwarden-<chart version>.tgz                              helm lint --strict, helm package
#   budgetwarden-<v>.oci.tar, budgetwarden-<v>.cdx.json           hack/image/build.sh
#   SHA256SUMS                                                    of the files above
# Fails when pyproject.toml's version, `budgetwarden --version` (of the checkout and inside the
# image), the chart's appVersion and the image's org.opencontainers.image.version label disagree.
# Called by `make release`, which makes .venv first.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin="$root/.venv/bin"
cd "$root"
label=org.opencontainers.image.version
version=$("$bin/python" -c 'import sys, tomllib; print(tomllib.load(sys.stdin.buffer)["project"]["version"])' \
  < pyproject.toml)

# same WHAT VALUE: VALUE must be pyproject.toml's version
same() {
  if [ "$2" != "$version" ]; then
    echo "release: $1 says '${2:-nothing}', pyproject.toml says $version" >&2
    exit 1
  fi
  echo "version $version: $1" >&2
}

# the version a `--version` line ends with ("budgetwarden 0.1.0")
reported() {
  local line; line=$("$@" --version) || { echo "release: $* --version failed" >&2; exit 1; }
  echo "${line##* }"
}

# the cheap checks first, before anything is built
same "helm/budgetwarden/Chart.yaml appVersion" "$("$bin/python" -c \
  'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["appVersion"])' helm/budgetwarden/Chart.yaml)"
same "budgetwarden --version (this checkout)" "$(reported "$bin/budgetwarden")"

mkdir -p dist
rm -f dist/SHA256SUMS
echo "building the sdist and the wheel" >&2
"$bin/python" -m build --outdir dist . >&2
sdist="budgetwarden-$version.tar.gz" wheel="budgetwarden-$version-py3-none-any.whl"
"$bin/twine" check --strict "dist/$sdist" "dist/$wheel" >&2

helm=$(bash hack/helm/build.sh)
"$helm" lint --strict helm/budgetwarden >&2
chart=$("$helm" package helm/budgetwarden --destination dist | sed -n 's|^Successfully packaged chart and saved it to: ||p')
[ -f "$chart" ] || { echo "release: helm package did not say where the chart went" >&2; exit 1; }

archive=$(bash hack/image/build.sh)
sbom="budgetwarden-$version.cdx.json"
# read the exported archive as a registry would get it, in a storage of its own
store=$(mktemp -d)
trap 'rm -rf "$store"' EXIT
buildah=(buildah --root "$store/root" --runroot "$store/run" --storage-driver vfs)
ctr=$("${buildah[@]}" from --quiet "oci-archive:$archive")
same "image label $label" "$("${buildah[@]}" inspect --type container \
  --format "{{index .OCIv1.Config.Labels \"$label\"}}" "$ctr")"
same "budgetwarden --version (in the image)" \
  "$(reported "${buildah[@]}" run --isolation chroot "$ctr" -- budgetwarden)"
"${buildah[@]}" rm "$ctr" >/dev/null

cd dist
sha256sum "$wheel" "$sdist" "$(basename "$chart")" "$(basename "$archive")" "$sbom" > SHA256SUMS
echo "release $version in $root/dist:" >&2
ls -l "$wheel" "$sdist" "$(basename "$chart")" "$(basename "$archive")" "$sbom" SHA256SUMS >&2
