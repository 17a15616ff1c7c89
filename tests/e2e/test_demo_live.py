"""`make demo` as it runs: `budgetwarden demo up --workloads`, the drill, `budgetwarden demo down`.

The demo stack with its controllers (kube-controller-manager, kube-scheduler, kwok, the Argo
Rollouts controller) comes up in a folder of the test's own; the drill ships the next version of
the Rollout as a canary, burns budget until FullFreeze, and its timeline must show what the
controller shows: the canary paused by its own step at 1/4, a `promote --full` refused by
admission, the canary still at 1/4 after the thaw, then promoted step by step until Healthy.
`demo down` must stop every process `up` started, the controllers included.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from budgetwarden_dev.devenv import processes
from budgetwarden_dev.devenv.stack import StackState
from cli_support import CONSOLE_SCRIPT

pytestmark = [pytest.mark.e2e, pytest.mark.cluster, pytest.mark.live, pytest.mark.promtool]
CONTROLLERS = {"kube-controller-manager", "kube-scheduler", "kwok", "rollouts-controller"}
ALERTING = {"alertmanager", "demo-receiver"}
PAGE = "SLOErrorBudgetFastBurn demo/checkout-availability [P1]"


def _budgetwarden(
    *args: str, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CONSOLE_SCRIPT), *args], env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)  # fmt: skip


def _exports(text: str) -> dict[str, str]:
    """`export KEY=value` lines, as the shell would read them."""
    pairs = (shlex.split(line.removeprefix("export "))[0] for line in text.splitlines())
    return dict(pair.split("=", 1) for pair in pairs)


def in_order(text: str, lines: list[str]) -> list[str]:
    """The lines not found in `text` each after the one before (none: all there, in order)."""
    missing, at = [], 0
    for line in lines:
        found = text.find(line, at)
        if found < 0:
            missing.append(line)
        else:
            at = found + len(line)
    return missing


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """A demo stack with its controllers; the environment a shell gets from its exports."""
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}  # the demo's own cluster
    directory = tmp_path / "demo"
    up = _budgetwarden("demo", "up", "--workloads", "--dir", str(directory), env=env, timeout=300)
    try:
        assert up.returncode == 0, up.stderr
        yield directory, {**env, **_exports(up.stdout)}
    finally:
        _budgetwarden("demo", "down", "--dir", str(directory), env=env, timeout=120)


def test_the_drill_shows_the_canary_held_by_the_freeze_and_down_stops_the_controllers(
    demo: tuple[Path, dict[str, str]],
) -> None:
    directory, env = demo
    state = StackState.load(directory)
    assert state is not None
    assert {p.name for p in state.processes} >= CONTROLLERS | ALERTING
    drill = _budgetwarden("drill", "fast-burn", env=env, timeout=480)
    timeline = drill.stdout
    assert drill.returncode == 0, timeline + drill.stderr
    expected_in_order = [
        "kubectl argo rollouts set image checkout checkout=registry.example/shop/checkout:1.4.1",
        "Message:         CanaryPauseStep",
        "Step:          1/4",
        "kubectl argo rollouts get rollout checkout: paused by budgetwarden",
        "Message:         manually paused",
        "kubectl argo rollouts promote checkout --full: exit status 1",
        "denied the request: [budgetwarden] FullFreeze on demo/Rollout/checkout",
        "✓ promote --full denied",
        "admitted under FreezeException",
        "✓ canary still at the step the freeze held",
        "Step:          3/4",
        "Status:          ✔ Healthy",
        "Step:          4/4",
        "✓ canary promoted through every step: Healthy",
        "Alertmanager delivered, by receiver",
        "           chat:",
        f"s {PAGE} firing",
        f"s {PAGE} resolved",
        "           pager:",
        f"s {PAGE} firing",
        f"s {PAGE} resolved",
        "✓ drill passed",
    ]
    assert in_order(timeline, expected_in_order) == [], timeline
    # P1 goes to the pager and the chat (alertmanager/alertmanager.yml), the resolution too
    delivered = [f"Alertmanager → pager: {PAGE} firing", f"Alertmanager → chat: {PAGE} firing",
                 "✓ SLOErrorBudgetFastBurn delivered to the pager by Alertmanager",
                 f"Alertmanager → pager: {PAGE} resolved",
                 "✓ SLOErrorBudgetFastBurn resolved at the pager"]  # fmt: skip
    assert [line for line in delivered if line not in timeline] == [], timeline
    down = _budgetwarden("demo", "down", "--dir", str(directory), env=env, timeout=120)
    assert down.returncode == 0, down.stderr
    assert [p.name for p in state.processes if processes.is_running(p)] == []
