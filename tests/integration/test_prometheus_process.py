"""The Prometheus launcher: a real Prometheus that loads rule files and scrape configs on reload.

Uses the `prometheus_factory` fixture (Debian's prometheus binary).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from budgetwarden_dev.devenv.errors import DevEnvError
from budgetwarden_dev.devenv.prometheus import PrometheusProcess

pytestmark = pytest.mark.promtool

RECORDING_RULES = """
groups:
- name: budgetwarden-test
  rules:
  - record: budgetwarden_test_constant
    expr: vector(42)
"""


def api(prometheus: PrometheusProcess, path: str, **params: str) -> Any:
    """GET a Prometheus HTTP API path and return its `data`."""
    response = httpx.get(f"{prometheus.url}{path}", params=params, timeout=10, trust_env=False)
    response.raise_for_status()
    return response.json()["data"]


def eventually(probe: Callable[[], Any], expected: Any, timeout: float = 30) -> Any:
    """Poll `probe` until it returns `expected` (Prometheus evaluates on its own clock)."""
    deadline = time.monotonic() + timeout
    while (got := probe()) != expected and time.monotonic() < deadline:
        time.sleep(0.2)
    return got


def group_names(prometheus: PrometheusProcess) -> list[str]:
    """The names of the rule groups Prometheus has loaded."""
    return [group["name"] for group in api(prometheus, "/api/v1/rules")["groups"]]


def instant(prometheus: PrometheusProcess, query: str) -> list[tuple[dict[str, str], str]]:
    """An instant query's samples as (labels, value)."""
    result = api(prometheus, "/api/v1/query", query=query)["result"]
    return [(sample["metric"], sample["value"][1]) for sample in result]


def test_rules_written_after_start_are_evaluated_after_a_reload(
    prometheus_factory: Callable[..., PrometheusProcess], tmp_path: Path
) -> None:
    prometheus = prometheus_factory(tmp_path)
    assert group_names(prometheus) == []
    (tmp_path / "slo.yaml").write_text(RECORDING_RULES)
    prometheus.reload()
    assert group_names(prometheus) == ["budgetwarden-test"]
    expected = [({"__name__": "budgetwarden_test_constant"}, "42")]
    assert eventually(lambda: instant(prometheus, "budgetwarden_test_constant"), expected) == (
        expected
    )


def test_a_broken_rule_file_fails_the_reload_and_the_old_rules_stay(
    prometheus_factory: Callable[..., PrometheusProcess], tmp_path: Path
) -> None:
    (tmp_path / "slo.yaml").write_text(RECORDING_RULES)
    prometheus = prometheus_factory(tmp_path)
    (tmp_path / "broken.yml").write_text(
        "groups:\n- name: x\n  rules:\n  - record: y\n    expr: (\n"
    )
    with pytest.raises(DevEnvError, match=r"broken\.yml"):
        prometheus.reload()
    assert group_names(prometheus) == ["budgetwarden-test"]


def test_scrape_configs_changed_before_a_reload_are_scraped(
    prometheus_factory: Callable[..., PrometheusProcess],
) -> None:
    prometheus = prometheus_factory()
    target = f"127.0.0.1:{prometheus.port}"
    prometheus.scrape_configs = [{"job_name": "self", "static_configs": [{"targets": [target]}]}]
    prometheus.reload()
    expected = [({"__name__": "up", "instance": target, "job": "self"}, "1")]
    assert eventually(lambda: instant(prometheus, "up"), expected) == expected


def test_stopping_prometheus_leaves_no_process_and_no_folder(tmp_path: Path) -> None:
    prometheus = PrometheusProcess(tmp_path / "rules", workdir=tmp_path / "prometheus").start()
    assert prometheus.process is not None
    pid = prometheus.process.pid
    assert httpx.get(f"{prometheus.url}/-/ready", trust_env=False).status_code == 200
    prometheus.stop()
    stat = Path(f"/proc/{pid}/stat")
    zombie = stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"
    assert (stat.exists() and not zombie, (tmp_path / "prometheus").exists()) == (False, False)
