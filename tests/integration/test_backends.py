"""The generated rules on the backends large users run, against Prometheus 2.42 as reference.

One module-wide setup, every backend scraping the same target (backend_support.ConstantTarget)
and evaluating the same generated rule file at once: Debian's Prometheus 2.42 (the reference),
Prometheus 3, Thanos Query deduplicating two Prometheus 3 replicas (each evaluating the rules,
one sidecar each), and VictoriaMetrics single-node with vmalert (on the rules as `generate
--format vmrule` writes them: no SLI rule reads what an earlier one recorded, since vmalert
persists records asynchronously and such a rule read a mix of two evaluations, a 5m burn rate
of 40.0087 for 40). The backends are built from
the Go module proxy by hack/backends/build.sh (a cold build takes several minutes); a failed
build fails these tests.

Each backend must record the same burn rates and budgets as the reference within TOLERANCE (a
relative 1e-6: VictoriaMetrics keeps about 12 significant digits; its budgets within one sample
of the sums they divide, `_budget_slack` says why), equal to the values worked
out by hand; fire the page at the evaluation the burn rates first cross its threshold (or the
one after: alert groups read the SLI group's records as of their own evaluation; on vmalert up
to READ_BACK_SECONDS later, the time VictoriaMetrics takes to make its records searchable);
page for no other SLO; and give the operator's poll the same budgets.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from backend_support import (
    CASES,
    INTERVAL,
    LEVEL_PRIORITY,
    LEVEL_THRESHOLD,
    LOW_BUDGET_LEVELS,
    NAMESPACE,
    PAGE,
    STEADY,
    ConstantTarget,
    eventually,
    first_crossing,
    first_seen,
    query,
    recorded,
    rule_file,
    windows,
)
from budgetwarden.adapters.prometheus import (
    PrometheusReader,
    PrometheusSettings,
    PrometheusUnavailable,
)
from budgetwarden.core.budget.reading import poll_result
from budgetwarden.core.budget.snapshot import SLORef
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.slo.rulefiles import rule_file_content
from budgetwarden.core.slo.rules import build_prometheus_rule
from budgetwarden.core.slo.spec import parse_slo
from budgetwarden_dev.devenv.backends import (
    REPLICA_LABEL,
    ThanosQuery,
    VictoriaMetrics,
    backend_binaries,
)
from budgetwarden_dev.devenv.binaries import repo_root
from budgetwarden_dev.devenv.prometheus import PrometheusProcess
from promtool_support import check_rules

pytestmark = pytest.mark.backends

TOLERANCE = 1e-6
LOW = c.ALERT_BUDGET_LOW
BACKENDS = ("prometheus-3", "thanos", "victoriametrics")
REFERENCE = "prometheus-2.42"
EXAMPLES = repo_root() / "examples"
READ_BACK_SECONDS = 5.0
RECORD_LAG_SAMPLES = 10  # 1 s records a budget read now may lack: its interval, and the read-back
SAMPLES_SHORT = 2  # of one recorded series against the other, in a VictoriaMetrics budget
REPLICAS = ("a", "b")
# whether the backend's query API takes `lookback_delta` (VictoriaMetrics ignores it)
TAKES_LOOKBACK = {"prometheus-3": True, "thanos": True, "victoriametrics": False}


@pytest.fixture(scope="module", name="urls")
def urls_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Every backend's query URL, once each has recorded every SLO's budget."""
    binaries = backend_binaries(repo_root())
    rules, vm_rules = tmp_path_factory.mktemp("rules"), tmp_path_factory.mktemp("vmrules")
    (rules / "compat.yaml").write_text(rule_file())
    # as `generate --format vmrule` writes them: vmalert persists records asynchronously
    (vm_rules / "compat.yaml").write_text(rule_file(chained_records=False))
    target = ConstantTarget()
    running: list[Any] = []
    try:
        found = _start_backends(binaries, (rules, vm_rules), target, running)
        for name in (REFERENCE, *BACKENDS):
            _wait_recorded(name, found[name])
        yield found
    finally:
        for process in reversed(running):
            process.stop()
        target.close()


def _start_backends(
    binaries: dict[str, Path], folders: tuple[Path, Path], target: ConstantTarget,
    running: list[Any],
) -> dict[str, str]:  # fmt: skip
    """Start every backend on `target` and the rules in `folders` (the Prometheus ones', then
    vmalert's), each added to `running` as it starts; their query URLs by name, and vmalert's
    under "vmalert"."""
    rules, vm_rules = folders

    def prometheus(binary: Path | None = None, **labels: str) -> PrometheusProcess:
        started = PrometheusProcess(
            rules,
            [target.scrape_config()],
            evaluation_interval="1s",
            scrape_interval="1s",
            binary=binary,
            external_labels=labels,
        )
        running.append(started)
        return started.start()

    reference = prometheus()
    prometheus_3 = prometheus(binaries["prometheus3"])
    replicas = [prometheus(binaries["prometheus3"], **{REPLICA_LABEL: r}) for r in REPLICAS]
    thanos = ThanosQuery(binaries["thanos"], replicas)
    running.append(thanos)
    vm = VictoriaMetrics(binaries, vm_rules, [target.scrape_config()])
    running.append(vm)
    return {
        REFERENCE: reference.url,
        "prometheus-3": prometheus_3.url,
        "thanos": thanos.start_all().url,
        "victoriametrics": vm.start_all().url,
        "vmalert": vm.vmalert_url,
    }


def _wait_recorded(name: str, url: str, timeout: float = 180) -> None:
    """Wait until `url` has a recorded budget for every case; fail naming those without."""
    deadline = time.monotonic() + timeout
    while missing := [case.name for case in CASES if not _budget(url, case)]:
        assert time.monotonic() < deadline, f"{name}: no budget recorded for {missing}"
        time.sleep(0.5)


def _budget(url: str, case: Any) -> list[float]:
    return recorded(url, c.METRIC_BUDGET_REMAINING, case)


def _close(got: float, want: float) -> bool:
    return math.isclose(got, want, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def _budget_slack(url: str, backend: str, case: Any) -> float:
    """How far the budget left may be from the one worked out by hand: TOLERANCE, and on
    VictoriaMetrics SAMPLES_SHORT samples of the sums it divides.

    VictoriaMetrics makes samples searchable series by series, a second or two after they
    arrive, so vmalert's period budget, summing the recorded 5m error and total rates, can
    count a sample or two more of one than of the other (a CI run saw 0.8087 left for 0.8).
    Over this test's minute or so of 1 s records each sample moves the budget by the burn rate
    over the samples summed; over 30 days of 30 s evaluations, by 1/86,400 of the burn rate.
    """
    slack = TOLERANCE * max(1.0, abs(case.budget_remaining))
    if backend != "victoriametrics":
        return slack
    labels = f'slo_namespace="{NAMESPACE}",slo_name="{case.name}"'
    counted = query(url, f"count_over_time({c.METRIC_TOTAL_RATE}{{{labels}}}[30d])")
    # counted now; the budget was recorded up to a few evaluations before, over fewer samples
    summed = float(counted[0]["value"][1]) - RECORD_LAG_SAMPLES
    assert summed > 1, (case.name, summed)
    return slack + SAMPLES_SHORT * case.burn_rate / summed


@pytest.mark.parametrize("backend", BACKENDS)
def test_recorded_burn_rates_and_budgets_match_the_reference(
    urls: dict[str, str], backend: str
) -> None:
    for case in STEADY:
        for window in windows(case):
            got = recorded(urls[backend], c.METRIC_BURN_RATE, case, window)
            want = recorded(urls[REFERENCE], c.METRIC_BURN_RATE, case, window)
            assert len(got) == len(want) == 1, (case.name, window, got, want)
            assert _close(got[0], want[0]), (case.name, window, got, want)
            assert _close(got[0], case.burn_rate), (case.name, window, got, case.burn_rate)
        (remaining,) = _budget(urls[backend], case)
        slack = _budget_slack(urls[backend], backend, case)
        assert abs(remaining - case.budget_remaining) <= slack, (case.name, remaining, slack)


def test_prometheus_3_normalises_integer_bucket_bounds_and_the_latency_rules_still_match(
    urls: dict[str, str],
) -> None:
    # the exporter writes le="1"; Prometheus 3 stores "1.0", 2.42 keeps "1"
    assert query(urls["prometheus-3"], 'request_seconds_bucket{le="1.0"}')
    assert not query(urls["prometheus-3"], 'request_seconds_bucket{le="1"}')
    assert query(urls[REFERENCE], 'request_seconds_bucket{le="1"}')
    slow = next(case for case in CASES if case.latency)
    assert _close(_budget(urls["prometheus-3"], slow)[0], slow.budget_remaining)


@pytest.mark.parametrize("backend", (REFERENCE, *BACKENDS))
def test_the_page_fires_at_the_evaluation_the_burn_rates_cross_its_threshold(
    urls: dict[str, str], backend: str
) -> None:
    url = urls[backend]
    flip = next(case for case in CASES if case.flip_after is not None)
    page = f'ALERTS{{alertname="{PAGE}",alertstate="firing",slo_namespace="{NAMESPACE}"'
    # the Thanos replicas evaluate on schedules of their own, and the deduplicated series may
    # take the page from one and the burn rates from the other: each replica is checked apart
    replicas = [f',{REPLICA_LABEL}="{r}"' for r in REPLICAS] if backend == "thanos" else [""]
    for replica in replicas:
        flipped = page + f',slo_name="{flip.name}"{replica}}}'
        fired = eventually(partial(first_seen, url, flipped, not replica), what=backend + replica)
        crossed = first_crossing(url, flip, replica)
        # 0 evaluations when the alert group evaluated after the SLI group in that round, else 1;
        # vmalert reads the SLI group's records back through VictoriaMetrics, which makes a
        # sample searchable up to about 2 s after it arrives (3 s seen with the load at 8)
        late = INTERVAL.total_seconds() + (READ_BACK_SECONDS if backend == "victoriametrics" else 0)
        assert -0.1 <= fired - crossed <= late + 0.1, (backend + replica, fired, crossed)
    assert first_seen(url, page + ',slo_name="hot"}') is not None
    assert not query(url, page + ',slo_name!~"hot|flip"}[10m]')


@pytest.mark.parametrize("backend", (REFERENCE, *BACKENDS))
def test_the_budget_low_alert_fires_once_per_slo_with_the_labels_of_its_level(
    urls: dict[str, str], backend: str
) -> None:
    """One rule raises every level's alert: each branch writes its level and priority into the
    series, so each backend's ALERTS carry them as the three rules of one level each did."""
    low = f'ALERTS{{alertname="{LOW}",alertstate="firing",slo_namespace="{NAMESPACE}"}}'
    expected = {name: (level, LEVEL_PRIORITY[level]) for name, level in LOW_BUDGET_LEVELS.items()}

    def levels() -> dict[str, tuple[str, str]] | None:
        found = {
            alert["metric"]["slo_name"]: (
                alert["metric"]["slo_budget_level"],
                alert["metric"]["priority"],
            )
            for alert in query(urls[backend], low)
        }
        return found if found == expected else None

    eventually(levels, what=f"{backend}: {LOW} per SLO at {expected}")


@pytest.mark.parametrize("api", (REFERENCE, "prometheus-3", "vmalert"))
def test_the_budget_low_summary_names_the_threshold_of_its_level(
    urls: dict[str, str], api: str
) -> None:
    """The text that differs by level is a template choosing by slo_budget_level: Prometheus'
    and vmalert's template engines both render each level's own words."""

    def summaries() -> dict[str, str] | None:
        answer = httpx.get(f"{urls[api]}/api/v1/alerts", timeout=10).raise_for_status().json()
        found = {
            alert["labels"]["slo_name"]: alert["annotations"]["summary"]
            for alert in answer["data"]["alerts"]
            # vmalert names the rule beside the labels rather than in them
            if alert["labels"].get("alertname", alert.get("name")) == LOW
            and alert["state"] == "firing"
        }
        return found if found.keys() == LOW_BUDGET_LEVELS.keys() else None

    found = eventually(summaries, what=f"{api}: a firing {LOW} for {list(LOW_BUDGET_LEVELS)}")
    for name, level in LOW_BUDGET_LEVELS.items():
        threshold = LEVEL_THRESHOLD[level]
        assert found[name] == (
            f"{name}: SLO {NAMESPACE}/{name} has less than {threshold} of its error budget left"
        )


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_operator_polls_every_budget_through_the_backend(
    urls: dict[str, str], backend: str
) -> None:
    reader = PrometheusReader(PrometheusSettings(url=urls[backend]))
    assert reader.takes_lookback() is TAKES_LOOKBACK[backend]
    samples = reader.read_budget_series(timedelta(minutes=1))
    # with a lookback, the values within it; without, the values, then none of them stale
    assert reader.queries_issued == 1 + (1 if TAKES_LOOKBACK[backend] else 2)
    result = poll_result(samples, datetime.now(UTC))
    for case in STEADY:
        snapshot = result.snapshots[SLORef(NAMESPACE, case.name)]
        assert not snapshot.duplicates and not snapshot.ignored_labels, snapshot
        assert snapshot.remaining_percent is not None
        remaining = float(snapshot.remaining_percent) / 100
        slack = _budget_slack(urls[backend], backend, case)
        assert abs(remaining - case.budget_remaining) <= slack, (case.name, remaining, slack)
        assert sorted(snapshot.burn_rates) == sorted(windows(case))
        assert all(_close(float(v), case.burn_rate) for v in snapshot.burn_rates.values())


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_query_the_backend_refuses_fails_with_its_own_error(
    urls: dict[str, str], backend: str
) -> None:
    reader = PrometheusReader(PrometheusSettings(url=urls[backend]))
    with pytest.raises(PrometheusUnavailable) as refused:
        reader.query("sum(")
    message = str(refused.value)
    assert message.startswith("query failed: HTTP 4"), message  # 400 or 422: the query's fault
    assert "sum(" in message or "parse" in message.lower(), message  # the backend's reason


def test_promtool_3_accepts_every_example_slos_rules(tmp_path: Path) -> None:
    promtool = backend_binaries(repo_root())["promtool3"]
    checked_files = 0
    for example in sorted(EXAMPLES.glob("0*.yaml")):
        documents = [doc for doc in yaml.safe_load_all(example.read_text()) if doc]
        for doc in documents:
            if doc.get("kind") != "SLO":
                continue
            rule_file = tmp_path / f"{example.stem}-{doc['metadata']['name']}.yaml"
            rule_file.write_text(rule_file_content(build_prometheus_rule(parse_slo(doc))))
            checked = check_rules(promtool, rule_file)
            assert checked.returncode == 0, (example.name, checked.stdout, checked.stderr)
            checked_files += 1
    assert checked_files >= 4  # every indicator kind the examples show


def test_thanos_deduplicates_the_two_replicas(urls: dict[str, str]) -> None:
    selector = f'{c.METRIC_BUDGET_REMAINING}{{slo_namespace="{NAMESPACE}",slo_name="hot"}}'
    with httpx.Client(trust_env=False, timeout=30) as client:
        raw = client.get(
            f"{urls['thanos']}/api/v1/query", params={"query": selector, "dedup": "false"}
        ).json()["data"]["result"]
    assert sorted(item["metric"][REPLICA_LABEL] for item in raw) == ["a", "b"]
    deduplicated = query(urls["thanos"], selector)
    assert len(deduplicated) == 1 and REPLICA_LABEL not in deduplicated[0]["metric"]
