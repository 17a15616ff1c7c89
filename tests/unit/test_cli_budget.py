"""The offline `budget` command, run as a user runs it: what a budget allows, when alerts fire."""

from __future__ import annotations

import subprocess

import pytest

from budgetwarden.cli import main
from cli_support import CONSOLE_SCRIPT, run

LEGEND = """
ERROR RATIO   the alert fires when both windows see more errors than this
BUDGET SPENT  share of the budget gone by the time it fires
BUDGET LASTS  how long a full budget lasts at this burn rate
"""

BUDGET_99_9 = (
    """objective:        99.9% over 30d
error budget:     0.1% of events
allowed downtime: 43.2 minutes (43m12s)

burn-rate alerts (each fires when both its windows burn faster than its factor):
TIER    LONG  SHORT  FACTOR  ERROR RATIO  BUDGET SPENT  BUDGET LASTS
page    1h    5m     14.4    1.44%        2%            2d2h
page    6h    30m    6       0.6%         5%            5d
ticket  1d    2h     3       0.3%         10%           10d
ticket  3d    6h     1       0.1%         10%           30d
"""
    + LEGEND
)

BUDGET_99_5 = (
    """objective:        99.5% over 30d
error budget:     0.5% of events
allowed downtime: 216 minutes (3h36m)

burn-rate alerts (each fires when both its windows burn faster than its factor):
TIER    LONG  SHORT  FACTOR  ERROR RATIO  BUDGET SPENT  BUDGET LASTS
page    1h    5m     14.4    7.2%         2%            2d2h
page    6h    30m    6       3%           5%            5d
ticket  1d    2h     3       1.5%         10%           10d
ticket  3d    6h     1       0.5%         10%           30d
"""
    + LEGEND
)

BUDGET_93 = (
    """objective:        93% over 30d
error budget:     7% of events
allowed downtime: 3024 minutes (2d2h24m)

burn-rate alerts (each fires when both its windows burn faster than its factor):
TIER    LONG  SHORT  FACTOR  ERROR RATIO  BUDGET SPENT  BUDGET LASTS
page    1h    5m     14.4    100.8%       2%            2d2h
page    6h    30m    6       42%          5%            5d
ticket  1d    2h     3       21%          10%           10d
ticket  3d    6h     1       7%           10%           30d
"""
    + LEGEND
    + "warning: the page alert over 1h needs an error ratio of 100.8% and can never fire "
    "at a 93% objective\n"
)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param(["99.9", "30d"], BUDGET_99_9, id="99.9% over 30d allows 43.2 minutes"),
        pytest.param(["99.5%", "30d"], BUDGET_99_5, id="99.5% over 30d allows 216 minutes"),
        pytest.param(["93", "30d"], BUDGET_93, id="93% warns that the 14.4x page never fires"),
    ],
)
def test_budget(capsys: pytest.CaptureFixture[str], argv: list[str], expected: str) -> None:
    assert run(capsys, "budget", *argv) == (0, expected, "")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["0.999", "30d"],
            'argument OBJECTIVE: must be a percent from 1 to below 100, such as 99.9; got "0.999"',
            id="a fraction where a percent belongs",
        ),
        pytest.param(
            ["99.9", "1y"],
            'argument WINDOW: must be a duration such as "5m", "1h" or "30d"; got "1y"',
            id="a window in years",
        ),
    ],
)
def test_budget_refuses(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    message: str,
) -> None:
    monkeypatch.setenv("COLUMNS", "120")  # argparse wraps its usage line to the terminal
    with pytest.raises(SystemExit) as exited:
        main(["budget", *argv])
    usage = "usage: budgetwarden budget [-h] [--scrape-interval DURATION] OBJECTIVE WINDOW\n"
    assert (exited.value.code, capsys.readouterr().err) == (
        2,
        f"{usage}budgetwarden budget: error: {message}\n",
    )


def test_console_script_runs_budget() -> None:
    done = subprocess.run(
        [str(CONSOLE_SCRIPT), "budget", "99.5", "30d"], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, BUDGET_99_5, "")
