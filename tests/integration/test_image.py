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
from pathlib import Path
from typing import Any

import pytest

from image_support import (
    GOLDEN,
    IMAGE_TIMEOUT,
    LABEL,
    NONROOT,
    ROOT,
    SBOM,
    VERSION,
    Buildah,
    manifest_digest_and_labels,
)

pytestmark = [pytest.mark.image, pytest.mark.timeout(IMAGE_TIMEOUT)]


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
    digest, _ = manifest_digest_and_labels(archive)
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
