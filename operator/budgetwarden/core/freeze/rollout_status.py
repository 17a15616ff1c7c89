"""Writes to a Rollout's status subresource that move it on: promote, resume, retry, skip a step.

`kubectl argo rollouts` changes a Rollout through its status as well as its spec, status first:
`promote` clears `status.pauseConditions`, `promote --full` sets `status.promoteFull`, `retry`
sets `status.abort` back to false, `promote --skip-current-step` moves `status.currentStepIndex`.
The controller acts on those fields even while `spec.paused` holds the Rollout, so a promote
whose spec patch admission refused still takes effect the moment the freeze lifts
(research/realcluster.md §5.6). During a freeze, admission refuses these status writes on a
Rollout the freeze holds, from anyone but the operator and the Argo Rollouts controller, which
writes status all the time (it clears pauseConditions itself when a pause ends or an abort
begins).

`promotes` judges one write in Python (the webhook); `PROMOTION` says the same in CEL (the
webhook's match condition and ValidatingAdmissionPolicy mode). Both read only what the write
changes, so the two agree on every request. Nothing here raises on malformed input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from budgetwarden.core.freeze.vap_cel_base import list_literal
from budgetwarden.core.freeze.workload_diff import as_mapping

STATUS_SUBRESOURCE: Final = "status"
_N, _O = "object.status", "oldObject.status"


def _status(obj: object) -> Mapping[str, Any]:
    return as_mapping(as_mapping(obj).get("status"))


def promotes(old: object, new: object) -> bool:
    """True when a status write promotes, resumes, retries or moves the step of a Rollout."""
    was, now = _status(old), _status(new)
    paused_by_steps = was.get("pauseConditions")
    return (
        (now.get("promoteFull") is True and was.get("promoteFull") is not True)
        or (
            isinstance(paused_by_steps, list)
            and len(paused_by_steps) > 0
            and now.get("pauseConditions") != paused_by_steps
        )
        or (was.get("abort") is True and now.get("abort") is not True)
        or (("currentStepIndex" in now) != ("currentStepIndex" in was))
        or now.get("currentStepIndex") != was.get("currentStepIndex")
    )


def _has(side: str, field: str) -> str:
    root = side.rsplit(".", 1)[0]
    return f"(has({root}.status) && has({side}.{field}))"


def _is_true(side: str, field: str) -> str:
    return f"({_has(side, field)} && {side}.{field} == true)"


# Every field access is guarded by has(): a missing field raises in CEL, and an error would deny
# the request under failurePolicy Fail.
PROMOTION: Final = (
    f"request.subResource == '{STATUS_SUBRESOURCE}' && ("
    + " || ".join(
        (
            f"({_is_true(_N, 'promoteFull')} && !{_is_true(_O, 'promoteFull')})",
            f"({_has(_O, 'pauseConditions')} && size({_O}.pauseConditions) > 0"
            f" && !({_has(_N, 'pauseConditions')}"
            f" && {_N}.pauseConditions == {_O}.pauseConditions))",
            f"({_is_true(_O, 'abort')} && !{_is_true(_N, 'abort')})",
            f"{_has(_N, 'currentStepIndex')} != {_has(_O, 'currentStepIndex')}",
            f"({_has(_N, 'currentStepIndex')} && {_has(_O, 'currentStepIndex')}"
            f" && {_N}.currentStepIndex != {_O}.currentStepIndex)",
        )
    )
    + ")"
)


def not_status_writer(usernames: tuple[str, ...]) -> str:
    """CEL: true unless the request is a status write by one of `usernames` (the controller's)."""
    return (
        f"request.subResource != '{STATUS_SUBRESOURCE}'"
        f" || !(request.userInfo.username in {list_literal(usernames)})"
    )
