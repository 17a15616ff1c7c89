"""A CycloneDX 1.5 SBOM of the Python packages inside an exported image (an OCI archive).

hack/image/build.sh runs this on dist/budgetwarden-<version>.oci.tar and writes the JSON it
prints beside the archive. The SBOM names the image (repository, manifest digest, version and
revision labels) as its subject and lists every distribution installed in the image's virtual
environment with its version, package URL, licence as declared in its metadata, and the
dependencies between them. It reads the `*.dist-info` files straight from the archive's layers,
so it describes exactly what was exported and needs nothing but the standard library.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tarfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import Distribution
from os import PathLike
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import quote

SPEC_VERSION = "1.5"
VENV = "opt/budgetwarden"
# a License field longer than this is the licence text itself, not its name
LICENSE_NAME_MAX = 80
LICENSE_CLASSIFIER = "License :: OSI Approved :: "
LABEL = "org.opencontainers.image."
REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
EXTRA_MARKER = re.compile(r"\bextra\s*==")
WHITEOUT = ".wh."


class ArchivedDistribution(Distribution):
    """An installed distribution whose `*.dist-info` files were read from an image layer."""

    def __init__(self, files: dict[str, str]) -> None:
        self._files = files

    def read_text(self, filename: str) -> str | None:
        return self._files.get(filename)

    def locate_file(self, path: str | PathLike[str]) -> Any:
        raise NotImplementedError("an archived distribution has no files on disk")


@dataclass(frozen=True)
class Image:
    """What the SBOM says about its subject, read from the archive."""

    reference: str  # repository:tag, as the archive names it
    digest: str  # of the manifest: what a registry serves and `image.digest` pins
    labels: dict[str, str]
    dists: list[ArchivedDistribution]


def _file(archive: tarfile.TarFile, name: str) -> IO[bytes]:
    """One file of the OCI layout."""
    found = archive.extractfile(name)
    if found is None:
        raise ValueError(f"the archive has no {name}: not an OCI archive of one image")
    return found


def _blob(archive: tarfile.TarFile, digest: str) -> IO[bytes]:
    """One content-addressed file of the OCI layout."""
    algorithm, _, value = digest.partition(":")
    return _file(archive, f"blobs/{algorithm}/{value}")


def _dist_info_pattern(venv: str) -> re.Pattern[str]:
    """Layer paths of `*.dist-info` files under the venv, and whiteouts that delete them."""
    site = rf"{re.escape(venv)}/lib/python3\.\d+/site-packages"
    return re.compile(rf"^{site}/((?:{re.escape(WHITEOUT)})?[^/]+\.dist-info(?:/.+)?)$")


def _dist_info_files(archive: tarfile.TarFile, layers: list[str], venv: str) -> dict[str, str]:
    """`<folder>.dist-info/<file>` -> text, over the layers in order, whiteouts applied."""
    wanted = _dist_info_pattern(venv)
    files: dict[str, str] = {}
    for digest in layers:
        with tarfile.open(fileobj=_blob(archive, digest), mode="r|*") as layer:
            for member in layer:
                match = wanted.match(member.name.removeprefix("./"))
                path = PurePosixPath(match.group(1)) if match else None
                if path is None:
                    continue
                if path.name.startswith(WHITEOUT):  # a later layer deleted this path
                    gone = str(path.parent / path.name.removeprefix(WHITEOUT))
                    files = {k: v for k, v in files.items() if not _within(k, gone)}
                elif member.isfile() and len(path.parts) == 2:
                    text = layer.extractfile(member)
                    files[str(path)] = text.read().decode() if text else ""
    return files


def _within(path: str, folder_or_file: str) -> bool:
    return path == folder_or_file or path.startswith(folder_or_file + "/")


def read_image(path: Path, venv: str = VENV) -> Image:
    """The reference, manifest digest, labels and installed distributions of an OCI archive."""
    with tarfile.open(path) as archive:
        (entry,) = json.load(_file(archive, "index.json"))["manifests"]
        manifest = json.load(_blob(archive, entry["digest"]))
        config = json.load(_blob(archive, manifest["config"]["digest"]))
        layers = [layer["digest"] for layer in manifest["layers"]]
        files = _dist_info_files(archive, layers, venv)
    folders: dict[str, dict[str, str]] = {}
    for name, text in files.items():
        folder, _, filename = name.partition("/")
        folders.setdefault(folder, {})[filename] = text
    dists = [ArchivedDistribution(found) for found in folders.values() if "METADATA" in found]
    reference = entry.get("annotations", {}).get(f"{LABEL}ref.name", "")
    labels = config.get("config", {}).get("Labels") or {}
    return Image(reference, entry["digest"], labels, sorted(dists, key=_key))


def normalize(name: str) -> str:
    """The PEP 503 form of a distribution name, as package URLs use it."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _key(dist: Distribution) -> str:
    return normalize(dist.metadata["Name"])


def purl(dist: Distribution) -> str:
    """The package URL of a PyPI distribution."""
    return f"pkg:pypi/{_key(dist)}@{dist.version}"


def _field(dist: Distribution, name: str) -> str:
    """A metadata field, or "" when the distribution does not declare it."""
    return str((dist.metadata.get_all(name) or [""])[0]).strip()


def licenses(dist: Distribution) -> list[dict[str, Any]]:
    """The licence as the distribution declares it: an SPDX expression, a name or classifiers."""
    expression = _field(dist, "License-Expression")
    if expression:
        return [{"expression": expression}]
    declared = _field(dist, "License")
    if declared and "\n" not in declared and len(declared) <= LICENSE_NAME_MAX:
        return [{"license": {"name": declared}}]
    classifiers = dist.metadata.get_all("Classifier") or []
    names = [
        c.removeprefix(LICENSE_CLASSIFIER) for c in classifiers if c.startswith(LICENSE_CLASSIFIER)
    ]
    return [{"license": {"name": name}} for name in names]


def requirement_names(dist: Distribution) -> list[str]:
    """Normalized names of what the distribution requires, leaving out optional extras.

    Other environment markers are not evaluated: a requirement counts when what it names is
    installed.
    """
    names = []
    for requirement in dist.requires or []:
        _, _, marker = requirement.partition(";")
        match = REQUIREMENT_NAME.match(requirement)
        if match and not EXTRA_MARKER.search(marker):
            names.append(normalize(match.group(1)))
    return names


def component(dist: Distribution) -> dict[str, Any]:
    """One installed distribution as a CycloneDX library component."""
    entry: dict[str, Any] = {
        "type": "library",
        "bom-ref": purl(dist),
        "name": dist.metadata["Name"],
        "version": dist.version,
        "purl": purl(dist),
    }
    found = licenses(dist)
    if found:
        entry["licenses"] = found
    return entry


def dependencies(dists: Sequence[Distribution], subject: str) -> list[dict[str, Any]]:
    """Who requires whom among the installed distributions; the image holds them all."""
    refs = {_key(dist): purl(dist) for dist in dists}
    graph = [{"ref": subject, "dependsOn": sorted(refs.values())}]
    for dist in dists:
        wanted = {refs[name] for name in requirement_names(dist) if name in refs}
        graph.append({"ref": purl(dist), "dependsOn": sorted(wanted)})
    return graph


def _repository(reference: str) -> str:
    """`registry/name` of `registry/name:tag` (a registry may carry a port)."""
    name, colon, tag = reference.rpartition(":")
    return name if colon and "/" not in tag else reference


def subject(image: Image) -> dict[str, Any]:
    """The image itself, the SBOM's metadata.component."""
    repository = _repository(image.reference) or image.labels.get(f"{LABEL}title", "image")
    properties = [{"name": name, "value": value} for name, value in sorted(image.labels.items())]
    return {
        "type": "container",
        "bom-ref": f"{repository}@{image.digest}",
        "name": repository,
        "version": image.labels.get(f"{LABEL}version", ""),
        "purl": f"pkg:oci/{repository.rsplit('/', 1)[-1]}@{quote(image.digest)}"
        f"?repository_url={quote(repository)}",
        "hashes": [{"alg": "SHA-256", "content": image.digest.removeprefix("sha256:")}],
        "properties": properties,
    }


def sbom(image: Image) -> dict[str, Any]:
    """The whole CycloneDX document for one image."""
    about = subject(image)
    return {
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": {
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tools": {"components": [{"type": "application", "name": "hack/image/sbom.py"}]},
            "component": about,
        },
        "components": [component(dist) for dist in image.dists],
        "dependencies": dependencies(image.dists, about["bom-ref"]),
    }


def main(argv: list[str] | None = None) -> int:
    """Print the SBOM of the archive given on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", type=Path, help="an OCI archive holding one image")
    parser.add_argument("--venv", default=VENV, help=f"the virtual environment (default /{VENV})")
    args = parser.parse_args(argv)
    image = read_image(args.archive, args.venv.strip("/"))
    if not image.dists:
        print(f"{args.archive}: no Python distributions under /{args.venv}", file=sys.stderr)
        return 1
    json.dump(sbom(image), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
