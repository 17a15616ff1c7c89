"""The operator's image for tests: built (or reused) once per run, loaded into a buildah storage
of the test run's own, and commands run in it with `buildah run`.

hack/image/build.sh builds it (bases from Debian packages, buildah, no registry; the script
installs mmdebstrap and buildah when they are missing); the archive in dist/ is reused when it
was built at this commit and the image's inputs have no uncommitted changes. tests/conftest.py
imports the session fixtures (`archive`, `buildah`, `container`, ...), so every test module
shares one; test modules must not import them again.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "hack" / "image" / "build.sh"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
ARCHIVE = ROOT / "dist" / f"budgetwarden-{VERSION}.oci.tar"
SBOM = ROOT / "dist" / f"budgetwarden-{VERSION}.cdx.json"
# what the image is built from: a change to any of these means the archive is out of date
INPUTS = ("Containerfile", ".dockerignore", "pyproject.toml", "README.md", "operator", "hack/image")
GOLDEN = ROOT / "tests" / "golden" / "01-availability-ratio.yaml"
BUILD_TIMEOUT = 1200  # seconds; a cold build makes both bases and installs every dependency
LABEL = "org.opencontainers.image."
NONROOT = "65532"
IMAGE_TIMEOUT = BUILD_TIMEOUT + 300  # a test that may build the image


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


def _archive_json(archive: tarfile.TarFile, name: str) -> Any:
    member = archive.extractfile(name)
    assert member is not None, f"{name} is missing from the OCI archive"
    return json.load(member)


def manifest_digest_and_labels(path: Path) -> tuple[str, dict[str, str]]:
    """The manifest digest and the labels of the one image in an OCI archive."""
    with tarfile.open(path) as archive:
        (entry,) = _archive_json(archive, "index.json")["manifests"]
        manifest = _archive_json(archive, f"blobs/{entry['digest'].replace(':', '/')}")
        config = _archive_json(archive, f"blobs/{manifest['config']['digest'].replace(':', '/')}")
    return entry["digest"], config["config"].get("Labels") or {}


def _up_to_date(revision: str) -> bool:
    """The archive and SBOM in dist/ were built from exactly what is checked out."""
    if not (revision and ARCHIVE.is_file() and SBOM.is_file()):
        return False
    _, labels = manifest_digest_and_labels(ARCHIVE)
    changed = _git("status", "--porcelain", "--", *INPUTS)
    return labels.get(f"{LABEL}revision") == revision and changed == ""


@pytest.fixture(scope="session", name="revision")
def revision_fixture() -> str:
    return _git("rev-parse", "HEAD")


@pytest.fixture(scope="session", name="archive")
def archive_fixture(revision: str) -> Path:
    """dist/budgetwarden-<version>.oci.tar of this checkout, built when it is not there yet."""
    if not _up_to_date(revision):
        done = subprocess.run(["bash", str(BUILD)], cwd=ROOT, capture_output=True, text=True,
                              timeout=BUILD_TIMEOUT, check=False)  # fmt: skip
        assert done.returncode == 0, f"{BUILD} failed\n{done.stderr[-6000:]}"
        assert done.stdout.strip() == str(ARCHIVE)
    return ARCHIVE


@dataclass(frozen=True)
class Buildah:
    """buildah on a storage of its own: vfs, chroot isolation, no daemon and no runtime."""

    store: Path

    def result(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = ["buildah", "--root", str(self.store / "root"), "--runroot",
                   str(self.store / "run"), "--storage-driver", "vfs", *args]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, f"{' '.join(command)}\n{done.stdout}\n{done.stderr}"
        return done

    def __call__(self, *args: str) -> str:
        return self.result(*args).stdout

    def argv(
        self, container: str, command: list[str], volumes: dict[Path, str], env: dict[str, str]
    ) -> list[str]:
        """The command line that runs `command` in the container as the image's user, on the
        host's network, with `volumes` (host path: container path) mounted read-only."""
        mounts = [arg for host, inside in volumes.items() for arg in ("-v", f"{host}:{inside}:ro")]
        settings = [arg for name, value in env.items() for arg in ("-e", f"{name}={value}")]
        return ["buildah", "--root", str(self.store / "root"), "--runroot",
                str(self.store / "run"), "--storage-driver", "vfs", "run", "--isolation",
                "chroot", "--network", "host", *mounts, *settings, container, "--",
                *command]  # fmt: skip

    def run(self, container: str, *command: str, volumes: tuple[str, ...] = ()) -> str:
        """stdout of `command` run inside the container as the image's user."""
        mounts = [arg for volume in volumes for arg in ("--volume", volume)]
        return self("run", "--isolation", "chroot", *mounts, container, "--", *command)


@pytest.fixture(scope="session", name="buildah")
def buildah_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Buildah]:
    store = tmp_path_factory.mktemp("buildah")
    yield Buildah(store)
    shutil.rmtree(store, ignore_errors=True)


@pytest.fixture(scope="session", name="container")
def container_fixture(archive: Path, buildah: Buildah) -> Iterator[str]:
    """A working container of the image in the archive."""
    name = buildah("from", "--quiet", f"oci-archive:{archive}").strip()
    yield name
    buildah("rm", name)


@pytest.fixture(scope="session", name="config")
def config_fixture(buildah: Buildah, container: str) -> dict[str, Any]:
    """The image's OCI config: user, entrypoint, environment, labels."""
    inspected = json.loads(buildah("inspect", "--type", "container", container))
    config: dict[str, Any] = inspected["OCIv1"]["config"]
    return config
