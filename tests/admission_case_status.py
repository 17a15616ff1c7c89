"""A theme of the admission case table: writes to a Rollout's status subresource.

`kubectl argo rollouts promote` clears status.pauseConditions, `promote --full` sets
status.promoteFull, `retry` sets status.abort back to false and `promote --skip-current-step`
moves status.currentStepIndex, each before its spec patch; the controller acts on them even
while the Rollout stays paused. During a freeze they are refused on a Rollout the freeze holds,
from anyone but the Argo Rollouts controller (CONTROLLER) and the operator.

tests/admission_case_table.py includes these cases in its table. A case's old Rollout carries
the status it had before the change; tests/integration/test_vap.py writes it before the freeze.
"""

from __future__ import annotations

from typing import Any

from admission_case_support import (
    ALLOWED,
    OPERATOR,
    AdmissionCase,
    Change,
    Scene,
    denial,
    denied,
    exception,
    freeze,
    hotfix_warning,
    warned,
)
from budgetwarden.core.freeze.view import FreezeView
from budgetwarden.core.kernel.conventions import ROLLOUTS_CONTROLLER_USERNAME

CONTROLLER = ROLLOUTS_CONTROLLER_USERNAME
PROMOTE = "promoting, resuming, retrying or skipping steps of a held Rollout through its status"
PAUSED_AT_STEP = {
    "currentStepIndex": 1,
    "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": "2026-11-29T10:10:00Z"}],
    "message": "CanaryPauseStep",
}
ABORTED = {"currentStepIndex": 0, "abort": True, "message": "RolloutAborted"}


def status_cases(ns: str) -> list[AdmissionCase]:
    """Status writes that move a held Rollout on, and those that do not."""
    s = Scene(ns)
    C, A, partial = AdmissionCase, ALLOWED, FreezeView((freeze(),))
    refused = denied(denial(ns, blocked=PROMOTE))

    def write(before: dict[str, Any], after: dict[str, Any], user: str = "") -> Change:
        old, new = s.running | {"status": before}, s.running | {"status": after}
        return Change("UPDATE", old, new, subresource="status", **({"user": user} if user else {}))

    without_pause = {k: v for k, v in PAUSED_AT_STEP.items() if k != "pauseConditions"}
    return [
        C("promote --full through the status of a held Rollout is refused",
          write(PAUSED_AT_STEP, PAUSED_AT_STEP | {"promoteFull": True}), partial, refused),
        C("promote: clearing a held Rollout's pause conditions is refused",
          write(PAUSED_AT_STEP, without_pause), partial, refused),
        C("retry: setting abort back to false on a held Rollout is refused",
          write(ABORTED, ABORTED | {"abort": False}), partial, refused),
        C("skipping a step through a held Rollout's status is refused",
          write(PAUSED_AT_STEP, PAUSED_AT_STEP | {"currentStepIndex": 2}), partial, refused),
        C("aborting through the status during a freeze is allowed",
          write(PAUSED_AT_STEP, PAUSED_AT_STEP | {"abort": True}), partial, A),
        C("other status fields of a held Rollout change freely",
          write(PAUSED_AT_STEP, PAUSED_AT_STEP | {"message": "manually paused"}), partial, A),
        C("the Argo Rollouts controller moves a held Rollout's status on",
          write(PAUSED_AT_STEP, without_pause | {"currentStepIndex": 2}, CONTROLLER),
          partial, A),
        C("the operator writes a held Rollout's status",
          write(PAUSED_AT_STEP, without_pause, OPERATOR), partial, A),
        C("promoting a Rollout the freeze does not hold is allowed",
          write(PAUSED_AT_STEP, PAUSED_AT_STEP | {"promoteFull": True}),
          FreezeView((freeze(held=()),)), A),
        C("a FreezeException lets a promote --full through, with its warning",
          write(PAUSED_AT_STEP, PAUSED_AT_STEP | {"promoteFull": True}),
          FreezeView((freeze(),), (exception(ns),)), warned(hotfix_warning(ns))),
    ]  # fmt: skip
