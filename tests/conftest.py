"""Fixtures shared by every test: a real cluster, fresh namespaces, real Prometheus servers.

`cluster` is the cluster $KUBECONFIG names when that variable is set (nothing is started), else
a local etcd + kube-apiserver started once per session (budgetwarden_dev.devenv). Either way our
CRDs are installed. Missing binaries fail the tests that need them, with the command that fixes it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest

from budgetwarden_dev.devenv.binaries import find_binary, repo_root
from budgetwarden_dev.devenv.cluster import Cluster
from budgetwarden_dev.devenv.controlplane import ControlPlane
from budgetwarden_dev.devenv.crds import install_crds
from budgetwarden_dev.devenv.errors import MissingBinaryError
from budgetwarden_dev.devenv.prometheus import PrometheusProcess

# Defined here, once: a session fixture imported into several test modules would be a fixture of
# each module, and every module would start a live cluster (or unpack the image) of its own.
from image_support import (  # noqa: F401
    archive_fixture,
    buildah_fixture,
    config_fixture,
    container_fixture,
    revision_fixture,
)
from live_support import live_cluster_fixture, live_namespace_fixture  # noqa: F401

T = TypeVar("T")

# tests in these folders carry the marker of the same name without declaring it
_FOLDER_MARKERS = ("promtool", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests under tests/promtool and tests/e2e with their folder's marker."""
    tests = Path(__file__).parent
    for item in items:
        folder = item.path.relative_to(tests).parts[0] if item.path.is_relative_to(tests) else ""
        if folder in _FOLDER_MARKERS:
            item.add_marker(folder)


def pytest_report_header() -> list[str]:
    """Say which cluster the session uses and how the control-plane binaries were built."""
    if kubeconfig := os.environ.get("KUBECONFIG"):
        return [f"cluster: KUBECONFIG={kubeconfig} (no local control plane)"]
    try:
        apiserver = find_binary("kube-apiserver")
    except MissingBinaryError:
        return ["cluster: kube-apiserver not built; run `make controlplane`"]
    version = subprocess.run(
        [str(apiserver), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    info = apiserver.parent / "build-info"
    built = dict(
        line.split("=", 1) for line in info.read_text().splitlines() if "=" in line
    ) if info.is_file() else {}  # fmt: skip
    took = f", built in {built['built_seconds']}s" if "built_seconds" in built else ""
    return [f"cluster: local control plane, {version} from {apiserver.parent}{took}"]


def started(start: Callable[[], T], hint: str = "") -> T:
    """`start()`, failing the test (not skipping it) with the fix when a binary is missing."""
    try:
        return start()
    except MissingBinaryError as e:
        problem = f"{e}{hint}"
    pytest.fail(problem, pytrace=False)  # outside `except`: no chained traceback


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    """The session's cluster, with budgetwarden's CRDs and the stand-in CRDs installed."""
    existing = Cluster.from_environment()
    if existing is not None:
        install_crds(existing.kubectl, repo_root())
        yield existing
        return
    plane = started(ControlPlane().start, "\n(or set KUBECONFIG to use an existing cluster)")
    try:
        install_crds(plane.kubectl, repo_root())
        os.environ["KUBECONFIG"] = str(plane.kubeconfig)  # kopf and subprocesses find it there
        yield Cluster(plane.kubeconfig, plane)
    finally:
        os.environ.pop("KUBECONFIG", None)
        plane.stop()


@pytest.fixture
def namespace(cluster: Cluster, request: pytest.FixtureRequest) -> Iterator[str]:
    """A new, uniquely named namespace; deleted afterwards without waiting for it to go."""
    name = cluster.create_namespace(request.node.name)
    yield name
    # Without a controller-manager the namespace stays Terminating with its contents; on a
    # real cluster the namespace controller empties and removes it.
    cluster.kubectl("delete", "namespace", name, "--wait=false")


PrometheusFactory = Callable[..., PrometheusProcess]


@pytest.fixture(scope="session")
def prometheus_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusFactory]:
    """Start a real Prometheus: factory(rules_dir=None, scrape_configs=(), **options)."""
    running: list[PrometheusProcess] = []

    def start(
        rules_dir: Path | None = None,
        scrape_configs: Sequence[Mapping[str, Any]] = (),
        **options: Any,
    ) -> PrometheusProcess:
        rules = rules_dir or tmp_path_factory.mktemp("rules")
        prometheus = started(PrometheusProcess(rules, scrape_configs, **options).start)
        running.append(prometheus)
        return prometheus

    yield start
    for prometheus in running:
        prometheus.stop()
