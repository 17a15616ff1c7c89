"""The operator's image as `make image` exports it: what runs in it, as whom, what it declares.

Builds the image once per test run with hack/image/build.sh (bases from Debian packages, buildah,
no registry; the script installs mmdebstrap and buildah when they are missing), or reuses the
archive in dist/ when it was built at this commit and the image's inputs have no uncommitted
changes. Every check reads the exported archive, loaded into a buildah storage of the test's own
as a registry or a node would receive it; commands run in it with `buildah run`, as the image's
user.
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

ROOT = Path(__file__).resolve().parents[2]
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

pytestmark = [pytest.mark.image, pytest.mark.timeout(BUILD_TIMEOUT + 300)]


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


def _archive_json(archive: tarfile.TarFile, name: str) -> Any:
    member = archive.extractfile(name)
    assert member is not None, f"{name} is missing from the OCI archive"
    return json.load(member)


def _manifest_digest_and_labels(path: Path) -> tuple[str, dict[str, str]]:
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
    _, labels = _manifest_digest_and_labels(ARCHIVE)
    changed = _git("status", "--porcelain", "--", *INPUTS)
    return labels.get(f"{LABEL}revision") == revision and changed == ""


@pytest.fixture(scope="session")
def revision() -> str:
    return _git("rev-parse", "HEAD")


@pytest.fixture(scope="session")
def archive(revision: str) -> Path:
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

    def run(self, container: str, *command: str, volumes: tuple[str, ...] = ()) -> str:
        """stdout of `command` run inside the container as the image's user."""
        mounts = [arg for volume in volumes for arg in ("--volume", volume)]
        return self("run", "--isolation", "chroot", *mounts, container, "--", *command)


@pytest.fixture(scope="session")
def buildah(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Buildah]:
    store = tmp_path_factory.mktemp("buildah")
    yield Buildah(store)
    shutil.rmtree(store, ignore_errors=True)


@pytest.fixture(scope="session")
def container(archive: Path, buildah: Buildah) -> Iterator[str]:
    """A working container of the image in the archive."""
    name = buildah("from", "--quiet", f"oci-archive:{archive}").strip()
    yield name
    buildah("rm", name)


@pytest.fixture(scope="session")
def config(buildah: Buildah, container: str) -> dict[str, Any]:
    """The image's OCI config: user, entrypoint, environment, labels."""
    inspected = json.loads(buildah("inspect", "--type", "container", container))
    config: dict[str, Any] = inspected["OCIv1"]["config"]
    return config


def _python(buildah: Buildah, container: str, code: str) -> str:
    return buildah.run(container, "/opt/budgetwarden/bin/python", "-c", code).strip()


def test_version_is_the_projects(buildah: Buildah, container: str) -> None:
    assert buildah.run(container, "budgetwarden", "--version").split()[-1] == VERSION


def test_generate_prints_the_prometheus_rule(buildah: Buildah, container: str) -> None:
    examples = f"{ROOT / 'examples'}:/tmp/examples:ro"
    printed = buildah.run(container, "budgetwarden", "generate",
                          "examples/01-availability-ratio.yaml", volumes=(examples,))  # fmt: skip
    golden = "".join(
        line for line in GOLDEN.read_text().splitlines(keepends=True) if not line.startswith("#")
    )
    assert printed == golden


def test_the_operator_runs_as_nonroot_without_a_shell(buildah: Buildah, container: str) -> None:
    probe = "import os, shutil; print(os.getuid(), os.getgid(), shutil.which('sh'))"
    assert _python(buildah, container, probe).split() == [NONROOT, NONROOT, "None"]


def test_the_operator_cannot_change_its_own_files(buildah: Buildah, container: str) -> None:
    probe = "import os; print(os.access('/opt/budgetwarden', os.W_OK), os.access('/', os.W_OK))"
    assert _python(buildah, container, probe).split() == ["False", "False"]


def test_the_byte_code_is_current(buildah: Buildah, container: str) -> None:
    """On a read-only root filesystem stale byte code would be compiled again at every start."""
    python = ("run", "--isolation", "chroot", container, "--", "/opt/budgetwarden/bin/python")
    # -v names where the code of each module came from: its .pyc, or its source compiled now
    verbose = buildah.result(*python, "-v", "-c", "import budgetwarden.cli.run").stderr
    loaded = [line for line in verbose.splitlines() if line.startswith("# code object from")]
    assert len(loaded) > 100
    assert [line for line in loaded if not line.endswith(".pyc'")] == []


def test_the_image_config_runs_budgetwarden(config: dict[str, Any]) -> None:
    assert config["User"] == f"{NONROOT}:{NONROOT}"
    assert config["Entrypoint"] == ["/opt/budgetwarden/bin/budgetwarden"]
    assert {"PYTHONDONTWRITEBYTECODE=1", "TMPDIR=/tmp"} <= set(config["Env"])


def test_labels_carry_version_and_revision(config: dict[str, Any], revision: str) -> None:
    ours = {name: value for name, value in config["Labels"].items() if name.startswith(LABEL)}
    ours.pop(f"{LABEL}description")
    assert ours == {
        f"{LABEL}title": "budgetwarden",
        f"{LABEL}version": VERSION,
        f"{LABEL}revision": revision,
        f"{LABEL}source": "https://github.com/budgetwarden/budgetwarden",
        f"{LABEL}licenses": "Apache-2.0",
    }


def test_the_sbom_lists_what_the_image_holds(
    archive: Path, buildah: Buildah, container: str
) -> None:
    sbom = json.loads(SBOM.read_text())
    digest, _ = _manifest_digest_and_labels(archive)
    versions = {c["name"]: c["version"] for c in sbom["components"]}
    installed = _python(buildah, container, "from importlib.metadata import version as v; "
                        "print(v('budgetwarden'), v('kopf'))")  # fmt: skip
    assert (sbom["bomFormat"], sbom["specVersion"]) == ("CycloneDX", "1.5")
    assert sbom["metadata"]["component"]["version"] == VERSION
    assert sbom["metadata"]["component"]["hashes"] == [
        {"alg": "SHA-256", "content": digest.removeprefix("sha256:")}
    ]
    assert [versions["budgetwarden"], versions["kopf"]] == installed.split()
    assert versions["budgetwarden"] == VERSION
    assert "pkg:pypi/kopf@" + versions["kopf"] in {c["purl"] for c in sbom["components"]}
