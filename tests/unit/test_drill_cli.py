"""`budgetwarden drill` before it touches anything: the list, and the mistakes that stop it with
one line and exit code 2. The drills themselves run in tests/e2e/test_drills.py."""

from __future__ import annotations

import subprocess

import pytest

from cli_support import CONSOLE_SCRIPT

DRILLS = ["fast-burn", "high-error-rate", "latency-spike", "traffic-surge", "resource-exhaustion",
          "service-outage"]  # fmt: skip
FLAGS = ["--kubeconfig", "/nonexistent", "--prometheus-url", "http://127.0.0.1:9",
         "--demo-url", "http://127.0.0.1:9"]  # fmt: skip


def drill(*args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin"}  # none of the demo's exports
    return subprocess.run([str(CONSOLE_SCRIPT), "drill", *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, env=env, check=False, timeout=60)  # fmt: skip


def test_the_list_names_every_drill_and_what_it_expects() -> None:
    listed = drill("--list")
    assert listed.returncode == 0, listed.stderr
    names = [line.split(":")[0] for line in listed.stdout.splitlines() if not line.startswith(" ")]
    assert names == DRILLS
    assert "    expects: SLOServiceDown (checkout-availability) within 90s" in listed.stdout
    assert "    expects: no page" in listed.stdout


@pytest.mark.parametrize(
    ("args", "line"),
    [
        pytest.param([], "budgetwarden drill: name a drill (`budgetwarden drill --list` shows "
                         "them)", id="no drill named"),
        pytest.param(["latency-spike"], "budgetwarden drill: set --kubeconfig, --prometheus-url, "
                     '--demo-url (or run `eval "$(budgetwarden demo up)"` first)',
                     id="no stack to drill on"),
        pytest.param(["service-outage", *FLAGS], "budgetwarden drill: service-outage: the demo "
                     "service will stop answering every request until the drill restores it; pass "
                     "--yes to go ahead", id="an outage is not started unasked"),
    ],
)  # fmt: skip
def test_a_drill_that_cannot_start_says_why_in_one_line(args: list[str], line: str) -> None:
    result = drill(*args)
    assert (result.returncode, result.stderr.strip(), result.stdout) == (2, line, "")
