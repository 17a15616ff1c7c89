"""The demo service, run as the real `budgetwarden demo-service` process.

Counters must match the requests sent to the request, the 5xx share must follow `PUT /control`,
and stopping must leave nothing behind (bad input is in test_demo_service_input.py). The last
test lets a real Prometheus scrape the built-in load and checks the rate it computes.
"""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from budgetwarden_dev.demo.process import DemoServiceProcess
from budgetwarden_dev.devenv.prometheus import PrometheusProcess

pytestmark = pytest.mark.e2e

Start = Callable[..., DemoServiceProcess]
NO_TRAFFIC = {'code="200",handler="/"': 0.0, 'code="500",handler="/"': 0.0}
IDLE_FAULTS = {"down": False, "cpuBurn": "0", "memoryFill": "0"}  # no outage, no pressure
CONTAINER = 'container="checkout",namespace="demo",pod="checkout-demo-0"'


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Start]:
    """Start demo services in tmp_path; every one is stopped after the test."""
    started: list[DemoServiceProcess] = []

    def _start(**options: Any) -> DemoServiceProcess:
        workdir = tmp_path / f"demo-{len(started)}"
        workdir.mkdir()
        service = DemoServiceProcess(workdir=workdir, **options)
        started.append(service)
        return service.start()

    yield _start
    for service in started:
        service.stop()


def series(text: str, name: str) -> dict[str, float]:
    """Samples of one metric on a /metrics page, keyed by their sorted labels."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
                found[labels] = sample.value
    return found


def send(service: DemoServiceProcess, count: int, path: str = "/work") -> list[int]:
    """Send `count` requests one after another; their status codes in order."""
    with httpx.Client(base_url=service.url, trust_env=False, timeout=10) as client:
        return [client.get(path).status_code for _ in range(count)]


def eventually(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Wait until `check()` holds; fail naming `what` if it does not within `timeout`."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.1)


@pytest.mark.parametrize(
    ("error_rate", "count", "expected"),
    [
        pytest.param(
            "0.02", 200, {"200": 196.0, "500": 4.0}, id="a 2% rate fails every 50th of 200"
        ),
        pytest.param("0.003", 1000, {"200": 997.0, "500": 3.0}, id="a 0.3% rate fails 3 of 1000"),
        pytest.param("0", 120, {"200": 120.0, "500": 0.0}, id="a zero rate fails nothing"),
        pytest.param("1", 30, {"200": 0.0, "500": 30.0}, id="a rate of one fails everything"),
    ],
)
def test_counters_match_the_requests_sent(
    start: Start, error_rate: str, count: int, expected: dict[str, float]
) -> None:
    service = start(error_rate=error_rate, latency="0s")
    codes = send(service, count)
    page = service.metrics_text()
    assert {str(code): float(codes.count(code)) for code in (200, 500)} == expected
    by_handler = {f'code="{code}",handler="/work"': value for code, value in expected.items()}
    assert series(page, "http_requests_total") == NO_TRAFFIC | by_handler
    assert series(page, "http_request_duration_seconds_count") == NO_TRAFFIC | by_handler


def test_the_root_path_is_traffic_too(start: Start) -> None:
    service = start(error_rate="0.5", latency="0s")
    assert send(service, 4, "/") == [200, 500, 200, 500]
    assert series(service.metrics_text(), "http_requests_total") == {
        'code="200",handler="/"': 2.0,
        'code="500",handler="/"': 2.0,
        'code="200",handler="/work"': 0.0,
        'code="500",handler="/work"': 0.0,
    }


def test_the_built_in_load_is_counted_request_for_request(start: Start) -> None:
    service = start(error_rate="0.02", latency="5ms", load_rps=50)

    def load(outcome: str) -> float:
        page = service.metrics_text()
        return series(page, "demo_load_requests_total")[f'outcome="{outcome}"']

    eventually(lambda: load("completed") >= 150, 60, "150 load requests")
    assert service.set(load_rps=0)["loadRPS"] == "0"
    eventually(
        lambda: series(service.metrics_text(), "demo_load_in_flight") == {"": 0.0}, 30, "drain"
    )
    page = service.metrics_text()
    sent = int(load("completed"))
    assert series(page, "demo_load_requests_total") == {
        'outcome="completed"': float(sent),
        'outcome="failed"': 0.0,
        'outcome="skipped"': 0.0,
    }
    assert series(page, "http_requests_total") == NO_TRAFFIC | {
        'code="200",handler="/work"': float(sent - sent // 50),
        'code="500",handler="/work"': float(sent // 50),
    }


@pytest.mark.parametrize(
    ("new_rate", "count", "failures"),
    [
        pytest.param("0.25", 100, 25, id="raising the rate to 25% fails 25 of the next 100"),
        pytest.param("0.5", 40, 20, id="raising the rate to 50% fails every other request"),
        pytest.param("0.1", 200, 20, id="raising the rate to 10% fails 20 of the next 200"),
        pytest.param("0", 50, 0, id="lowering the rate to zero stops the failures"),
    ],
)
def test_the_5xx_share_follows_the_control_api(
    start: Start, new_rate: str, count: int, failures: int
) -> None:
    service = start(error_rate="0.02", latency="0s")
    assert send(service, 100).count(500) == 2
    assert service.set(error_rate=new_rate) == {
        "errorRate": new_rate,
        "latency": "0s",
        "loadRPS": "0",
        **IDLE_FAULTS,
        "errorMode": "exact",
    }
    assert send(service, count).count(500) == failures
    page = service.metrics_text()
    assert series(page, "demo_configured_error_ratio") == {"": float(new_rate)}
    assert series(page, "http_requests_total")['code="500",handler="/work"'] == 2 + failures


def test_a_service_that_is_down_answers_503_to_traffic_and_scrapes_until_it_is_up(
    start: Start,
) -> None:
    service = start(error_rate="0", latency="0s")
    control = httpx.Client(base_url=service.url, trust_env=False, timeout=10)
    assert control.put("/control", json={"down": True}).json()["down"] is True
    assert send(service, 3) == [503, 503, 503]
    assert control.get("/metrics").status_code == 503
    assert control.get("/healthz").status_code == 200  # the process lives: the drill restores it
    assert control.put("/control", json={"down": False}).json()["down"] is False
    assert send(service, 2) == [200, 200]
    # requests answered while down were never served, so never counted
    assert series(service.metrics_text(), "http_requests_total")['code="200",handler="/work"'] == 2


def test_cpu_and_memory_pressure_show_in_the_container_series(start: Start) -> None:
    service = start(error_rate="0", latency="0s")
    page = service.metrics_text()
    limits = series(page, "kube_pod_container_resource_limits")
    assert limits == {f'{CONTAINER},resource="cpu",unit="core"': 0.05,
                      f'{CONTAINER},resource="memory",unit="byte"': 256 * 2**20}  # fmt: skip

    def used() -> tuple[float, float]:
        text = service.metrics_text()
        cpu = series(text, "container_cpu_usage_seconds_total")[CONTAINER]
        return cpu, series(text, "container_memory_working_set_bytes")[CONTAINER]

    cpu_before, memory_before = used()
    httpx.put(f"{service.url}/control", json={"cpuBurn": "1", "memoryFill": "0.5"},
              trust_env=False).raise_for_status()  # fmt: skip
    eventually(lambda: used()[1] >= 0.45 * 256 * 2**20, 10, "the memory to fill to half the limit")
    time.sleep(2)
    cpu_burning, _ = used()
    assert cpu_burning - cpu_before >= 0.05 * 2 * 0.5  # the burner's share over 2s, at least half
    httpx.put(f"{service.url}/control", json={"cpuBurn": "0", "memoryFill": "0"},
              trust_env=False).raise_for_status()  # fmt: skip
    eventually(lambda: used()[1] < memory_before + 32 * 2**20, 10, "the memory to be given back")
    assert used()[0] >= cpu_burning  # a counter: the stopped burner's time stays counted


def test_random_errors_repeat_for_the_same_seed(start: Start) -> None:
    runs = {
        name: send(start(error_rate="0.3", latency="0s", errors="random", seed=seed), 300)
        for name, seed in (("first", 7), ("again", 7), ("other", 8))
    }
    assert runs["first"] == runs["again"]
    assert runs["first"] != runs["other"]
    assert 60 <= runs["first"].count(500) <= 120  # 90 expected; fixed by the seed either way


@pytest.mark.parametrize(
    "signum",
    [
        pytest.param(signal.SIGTERM, id="SIGTERM under load stops cleanly"),
        pytest.param(signal.SIGINT, id="Ctrl-C under load stops cleanly"),
    ],
)
def test_stopping_leaves_nothing_behind(start: Start, signum: signal.Signals) -> None:
    service = start(latency="20ms", load_rps=100)
    eventually(
        lambda: sum(series(service.metrics_text(), "http_requests_total").values()) > 0,
        30,
        "traffic",
    )
    assert service.process is not None
    process, port = service.process, service.port
    process.send_signal(signum)
    assert process.wait(30) == 0
    assert "Traceback" not in service.log()
    assert not service.port_file.exists()
    assert not Path(f"/proc/{process.pid}").exists()
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), 5):
        pass
    assert service.stop() == 0


def _query(prometheus: PrometheusProcess, promql: str) -> float | None:
    """The single value of an instant query, or None while it has no result."""
    response = httpx.get(
        f"{prometheus.url}/api/v1/query", params={"query": promql}, trust_env=False, timeout=10
    )
    result = response.raise_for_status().json()["data"]["result"]
    return float(result[0]["value"][1]) if result else None


def test_prometheus_sees_the_configured_load_and_error_share(start: Start, tmp_path: Path) -> None:
    service = start(error_rate="0.1", latency="5ms", load_rps=20)
    target = {"targets": [f"127.0.0.1:{service.port}"]}
    scrape = [{"job_name": "demo", "scrape_interval": "1s", "static_configs": [target]}]
    with PrometheusProcess(tmp_path / "rules", scrape, workdir=tmp_path / "prometheus") as prom:
        # 35 one-second scrapes: the 30s windows below are full.
        eventually(
            lambda: (_query(prom, 'count_over_time(up{job="demo"}[40s])') or 0) >= 35, 120, "35s"
        )
        total = _query(prom, 'sum(rate(http_requests_total{job="demo"}[30s]))')
        errors = _query(prom, 'sum(rate(http_requests_total{job="demo",code="500"}[30s]))')
    assert total is not None and errors is not None
    assert 18 <= total <= 22, f"{total} requests per second; the load is 20"
    assert 0.09 <= errors / total <= 0.11, f"error share {errors / total}; the rate is 0.1"
