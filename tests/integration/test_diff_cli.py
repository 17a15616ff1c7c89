"""`budgetwarden diff` against a real API server, as a subprocess with the cluster's KUBECONFIG.

The SLO is applied with kubectl and its PrometheusRule is `budgetwarden generate`'s output
applied with kubectl, which is the object the operator writes. Then the SLO file changes, and
the diff must show exactly the rules the change alters; the API server judges the SLO itself
by a server-side dry run, which must leave the cluster as it was.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from budgetwarden_dev.devenv.cluster import Cluster
from cli_support import on_cluster as budgetwarden
from diff_support import (
    CHANGED_RULES,
    NEW_OBJECTIVE,
    OLD_OBJECTIVE,
    as_changed,
    changed_lines,
    slo_example,
    with_objective,
    write,
)

pytestmark = pytest.mark.cluster
RULE = "checkout-availability-slo"


@pytest.fixture
def slo_file(cluster: Cluster, namespace: str, tmp_path: Path) -> Path:
    """The SLO file, with the SLO and its generated PrometheusRule applied to the cluster."""
    path = write(tmp_path / "slo.yaml", slo_example(namespace))
    generated = budgetwarden(cluster, "generate", str(path))
    assert (generated.returncode, generated.stderr) == (0, "")
    cluster.kubectl("apply", "-f", str(path))
    cluster.kubectl("apply", "-f", "-", input=generated.stdout)
    return path


def test_an_unchanged_slo_has_no_changes(cluster: Cluster, namespace: str, slo_file: Path) -> None:
    result = budgetwarden(cluster, "diff", str(slo_file))
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        f"no changes: {namespace}/{RULE}\n",
        "",
    )


def test_a_new_objective_shows_exactly_the_changed_rules(
    cluster: Cluster, namespace: str, slo_file: Path
) -> None:
    write(slo_file, with_objective(slo_example(namespace), NEW_OBJECTIVE))
    result = budgetwarden(cluster, "diff", str(slo_file))
    head, rest = result.stdout.split("\n@@", 1)
    removed, added = changed_lines(rest)
    assert (result.returncode, result.stderr) == (1, "")
    assert head.splitlines() == [
        f"--- cluster/{namespace}/{RULE}",
        f"+++ generated/{namespace}/{RULE}",
    ]
    assert len(removed) == CHANGED_RULES
    assert [as_changed(line) for line in removed] == added
    # The dry run changed nothing: the cluster still holds the old objective.
    stored = json.loads(cluster.kubectl("get", "slo", "checkout-availability", "-n", namespace,
                                        "-o", "json").stdout)  # fmt: skip
    assert stored["spec"]["objective"] == OLD_OBJECTIVE


def test_an_slo_without_a_prometheus_rule_is_all_new(
    cluster: Cluster, namespace: str, slo_file: Path
) -> None:
    cluster.kubectl("delete", "prometheusrule", RULE, "-n", namespace)
    result = budgetwarden(cluster, "diff", str(slo_file))
    removed, added = changed_lines(result.stdout)
    assert (result.returncode, result.stderr, removed) == (1, "", [])
    assert result.stdout.splitlines()[:2] == ["--- /dev/null", f"+++ generated/{namespace}/{RULE}"]
    generated = yaml.safe_load(budgetwarden(cluster, "generate", str(slo_file)).stdout)
    assert yaml.safe_load("\n".join(added)) == {"groups": generated["spec"]["groups"]}


def test_an_slo_the_api_server_refuses_is_an_error_naming_the_field(
    cluster: Cluster, namespace: str, slo_file: Path
) -> None:
    # Annotation keys are the API server's to judge: the operator does not read annotations.
    slo = slo_example(namespace)
    slo["metadata"]["annotations"] = {"owned by": "payments"}
    write(slo_file, slo)
    result = budgetwarden(cluster, "diff", str(slo_file))
    assert (result.returncode, result.stdout) == (2, "")
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"{slo_file}: SLO/checkout-availability: dry-run apply ")
    assert 'metadata.annotations: Invalid value: "owned by"' in result.stderr


def test_a_cluster_that_cannot_be_reached_is_one_line(
    cluster: Cluster, slo_file: Path, tmp_path: Path
) -> None:
    config = cluster.kubeconfig.read_text()
    server = next(line.split(": ", 1)[1] for line in config.splitlines() if "server:" in line)
    unreachable = tmp_path / "kubeconfig"
    unreachable.write_text(config.replace(server, "https://127.0.0.1:9"))
    result = budgetwarden(cluster, "diff", str(slo_file), "--kubeconfig", str(unreachable))
    assert (result.returncode, result.stdout) == (2, "")
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("dry-run apply slos.budgetwarden.io ")
    debug = budgetwarden(cluster, "diff", str(slo_file), "--kubeconfig", str(unreachable),
                         "--debug")  # fmt: skip
    assert "Traceback" in debug.stderr
