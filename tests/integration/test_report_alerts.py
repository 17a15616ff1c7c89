"""`budgetwarden report alerts` against a real Prometheus holding a history whose answer is known.

tests/report_support.py writes the history (fires of five alerts over 10 days, one of them
flapping, one still firing at the end, one of a rule no longer loaded), backfills it with
promtool, and loads never-firing rules of the same names and labels; the report must print
exactly the counts, durations, percentiles, pages, runbook problems, precision and recall
worked out by hand from it. The bad inputs that need a Prometheus are here too; the others are
in tests/unit/test_report_cli.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

from budgetwarden.core.kernel.wire import format_time
from budgetwarden_dev.devenv.prometheus import PrometheusProcess
from cli_support import run
from report_support import SINCE, backfill, incidents, rule_file, until_time

pytestmark = pytest.mark.promtool


@dataclass(frozen=True)
class Known:
    """The running Prometheus, the period's end, and the incidents file."""

    prometheus: PrometheusProcess
    until: datetime
    incidents: Path

    def argv(self, *more: str) -> list[str]:
        """The command line over the known period."""
        until = format_time(self.until)
        return ["report", "alerts", "--since", "10d", "--until", until,
                "--prometheus-url", self.prometheus.url, *more]  # fmt: skip


@pytest.fixture(scope="module")
def known(
    prometheus_factory: Callable[..., PrometheusProcess], tmp_path_factory: pytest.TempPathFactory
) -> Known:
    """A Prometheus started on the backfilled history, with the never-firing rules loaded."""
    work = tmp_path_factory.mktemp("report")
    until = until_time()
    start = until - SINCE
    rules = work / "rules"
    rules.mkdir()
    (rules / "slo-alerts.yaml").write_text(rule_file())
    backfill(work / "prometheus" / "data", start, work)
    incidents_file = work / "incidents.yaml"
    incidents_file.write_text(yaml.safe_dump(incidents(start)))
    prometheus = prometheus_factory(
        rules_dir=rules,
        workdir=work / "prometheus",
        extra_args=["--storage.tsdb.retention.time=3650d"],
    )
    return Known(prometheus, until, incidents_file)


EXPECTED_TABLE = """\
Alert review from {start} to {end} (10d)
Step 1m: ALERTS read once a step, so times are accurate to one step.

Alerts that fired
ALERT                       SLO                         FIRES  FIRING  MEDIAN TTR  P90 TTR  MOST IN 60M  FLAPPING  PAGES
HighErrorRate (not loaded)  -                           1      15m     15m         15m      1            no        0
SLOErrorBudgetFastBurn      shop/checkout-availability  3      1h40m   30m         1h       1            no        3
SLOErrorBudgetLow[Warning]  shop/checkout-availability  1      4h      -           -        1            no        0
SLOErrorBudgetSlowBurn      shop/checkout-availability  4      2h15m   5m          2h       3            yes       0
SLOServiceDown              shop/checkout-availability  1      20m     20m         20m      1            no        1
FIRES: transitions to firing; FIRING: total time firing; TTR: time to resolve; FLAPPING: at least 3 fires within 1h.

Loaded alerts that never fired
ALERT                   SLO
SLOErrorBudgetFastBurn  shop/search-latency
SLOMetricsAbsent        shop/checkout-availability

Pages per SLO (P0 and P1; limit 2 a week)
SLO                         PAGES  PER WEEK  OVER LIMIT
shop/checkout-availability  4      2.8       yes
shop/search-latency         0      0.0       no
Busiest 12h shift: 2 pages (limit 2).

Alerts without a usable runbook
ALERT                   SLO                         PROBLEM
SLOErrorBudgetSlowBurn  shop/checkout-availability  placeholder address: https://runbooks.example.com/slow-burn
SLOMetricsAbsent        shop/checkout-availability  empty runbook_url
SLOServiceDown          shop/checkout-availability  no runbook_url annotation

Incidents: 3 of 4 in the period, grace 15m
ALERT                   FIRES  IN INCIDENTS  PRECISION  EXPECTED  CAUGHT  RECALL  MISSED
HighErrorRate           1      0             0%         0         0       -       -
SLOErrorBudgetFastBurn  3      1             33%        2         1       50%     search-slowdown
SLOErrorBudgetLow       1      0             0%         0         0       -       -
SLOErrorBudgetSlowBurn  4      1             25%        1         1       100%    -
SLOMetricsAbsent        0      0             -          0         0       -       -
SLOServiceDown          1      1             100%       1         1       100%    -
"""  # noqa: E501


def test_the_table_gives_the_known_numbers_of_the_history(
    known: Known, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, *known.argv("--incidents", str(known.incidents)))
    start = format_time(known.until - SINCE)
    assert (code, err) == (0, "")
    assert out == EXPECTED_TABLE.format(start=start, end=format_time(known.until))


def test_json_carries_the_same_numbers_with_the_start_of_every_fire(
    known: Known, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, *known.argv("--format", "json", "--incidents", str(known.incidents)))
    body = json.loads(out)
    slow = next(a for a in body["alerts"] if a["alertname"] == "SLOErrorBudgetSlowBurn")
    flapping_starts = [
        known.until - SINCE + timedelta(days=2, hours=8, minutes=m) for m in (0, 20, 40)
    ]
    assert code == 0
    assert body["period"]["stepSeconds"] == 60
    assert slow["starts"][:3] == [format_time(s) for s in flapping_starts]
    assert (slow["fires"], slow["firingSeconds"], slow["flapping"]) == (4, 8100, True)
    assert body["slos"][0] == {
        "slo": "shop/checkout-availability", "pages": 4, "pagesPerWeek": 2.8, "over": True,
    }  # fmt: skip
    fast = next(
        a for a in body["incidents"]["alerts"] if a["alertname"] == "SLOErrorBudgetFastBurn"
    )
    assert (fast["precision"], fast["recall"], fast["missed"]) == (0.3333, 0.5, ["search-slowdown"])


def test_markdown_prints_the_same_rows_as_a_table(
    known: Known, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, *known.argv("--format", "markdown"))
    assert code == 0
    row = "| SLOErrorBudgetSlowBurn | shop/checkout-availability | 4 | 2h15m | 5m | 2h | 3 | yes |"
    assert f"{row} 0 |" in out
    assert "## Incidents" not in out  # no incidents file, no incidents section


def test_a_period_without_any_alert_is_a_problem_said_in_one_line(
    known: Known, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, *known.argv("--until", "2020-01-01T00:00:00Z"))
    assert (code, out) == (1, "")
    assert err == (
        f"budgetwarden report alerts: no alert fired from 2019-12-22T00:00:00Z to "
        f"2020-01-01T00:00:00Z (ALERTS holds no firing sample in Prometheus at "
        f"{known.prometheus.url}): check the URL, --since and --until, and the retention\n"
    )


def test_a_prometheus_without_the_generated_rules_is_refused(
    prometheus_factory: Callable[..., PrometheusProcess], capsys: pytest.CaptureFixture[str]
) -> None:
    bare = prometheus_factory()
    code, out, err = run(capsys, "report", "alerts", "--prometheus-url", bare.url)
    assert (code, out) == (1, "")
    assert err == (
        f"budgetwarden report alerts: Prometheus at {bare.url} has loaded no alerting rule of an "
        f"SLO (none carries a slo_name label): load the generated rules, or point "
        f"--prometheus-url at the Prometheus that evaluates them\n"
    )
