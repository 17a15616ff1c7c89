"""The drill's canary, read as the controller and its plugin show it, and the demo's live steps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from budgetwarden_dev.demo.drill_canary import Position, controller_view, first_pause
from budgetwarden_dev.demo.live import LIVE_CANARY_STEPS, with_live_canary

DEMO = Path(__file__).resolve().parents[2] / "demo" / "manifests"
REASON = "budgetwarden.io/freeze-reason"

# `kubectl argo rollouts get rollout checkout --no-color` (v1.10.2) while budgetwarden holds it
GET_ROLLOUT = """\
Name:            checkout
Namespace:       demo
Status:          ॥ Paused
Message:         manually paused
Strategy:        Canary
  Step:          1/4
  SetWeight:     20
  ActualWeight:  25
Images:          registry.example/shop/checkout:1.4.0 (stable)
                 registry.example/shop/checkout:1.4.1 (canary)
Replicas:
  Desired:       3
  Current:       4

NAME                                  KIND        STATUS     AGE  INFO
⟳ checkout                            Rollout     ॥ Paused   12s
"""


def test_the_view_keeps_where_the_canary_stands_and_adds_the_freeze_reason() -> None:
    assert controller_view(GET_ROLLOUT, {REASON: "SLO checkout-availability burns 29.3x"}) == [
        "Status:          ॥ Paused",
        "Message:         manually paused",
        "Strategy:        Canary",
        "  Step:          1/4",
        "  SetWeight:     20",
        "  ActualWeight:  25",
        "Images:          registry.example/shop/checkout:1.4.0 (stable)",
        "                 registry.example/shop/checkout:1.4.1 (canary)",
        f"{REASON}: SLO checkout-availability burns 29.3x",
    ]


def _rollout(status: dict[str, Any], paused: bool = False, generation: int = 4) -> dict[str, Any]:
    return {
        "metadata": {"name": "checkout", "generation": generation},
        "spec": {"paused": paused, "strategy": {"canary": {"steps": LIVE_CANARY_STEPS}}},
        "status": status,
    }


@pytest.mark.parametrize(
    ("rollout", "expected"),
    [
        pytest.param(
            _rollout({"phase": "Paused", "currentStepIndex": 1, "observedGeneration": "4",
                      "pauseConditions": [{"reason": "CanaryPauseStep"}]}),
            Position("Paused", 1, paused_by_step=True, spec_paused=False, seen=True),
            id="paused by its own step, the controller up to date",
        ),
        pytest.param(
            _rollout({"phase": "Paused", "currentStepIndex": 1, "observedGeneration": "4",
                      "pauseConditions": [{"reason": "CanaryPauseStep"}]}, paused=True,
                     generation=5),
            Position("Paused", 1, paused_by_step=True, spec_paused=True, seen=False),
            id="paused by budgetwarden too, before the controller saw it",
        ),
        pytest.param(
            _rollout({}), Position("", None, paused_by_step=False, spec_paused=False, seen=False),
            id="no controller: no status at all",
        ),
    ],
)  # fmt: skip
def test_position(rollout: dict[str, Any], expected: Position) -> None:
    assert Position.of(rollout) == expected


def test_the_first_pause_step_is_where_the_canary_waits() -> None:
    assert first_pause(_rollout({})) == 1
    assert first_pause({"spec": {"strategy": {"canary": {}}}}) is None


def test_the_live_profile_gives_the_demo_rollout_steps_that_wait_for_a_promote() -> None:
    docs = [d for f in sorted(DEMO.glob("*.yaml")) for d in yaml.safe_load_all(f.read_text())]
    live = with_live_canary(docs)
    rollout = next(d for d in live if d["kind"] == "Rollout")
    assert rollout["spec"]["strategy"]["canary"]["steps"] == [
        {"setWeight": 20}, {"pause": {}}, {"setWeight": 50}, {"pause": {}},
    ]  # fmt: skip
    assert [d for d in live if d["kind"] != "Rollout"] == [
        d for d in docs if d["kind"] != "Rollout"
    ]
    original = next(d for d in docs if d["kind"] == "Rollout")
    assert original["spec"]["strategy"]["canary"]["steps"] != LIVE_CANARY_STEPS  # not changed
