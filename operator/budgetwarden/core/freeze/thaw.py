"""Lifting a pause of budgetwarden's from a canary that stands at a timed pause step.

core/freeze/enforcement.py asks `lift` whenever it lets go of a workload it paused (rule 4 of
its docstring: the freeze is over, a FreezeException covers it, the policy no longer enforces
or no longer selects it). Argo Rollouts keeps counting a timed pause step (`pause: {duration:
20s}`) while spec.paused holds the Rollout, so a freeze that outlasts the step would let the
canary past it the moment it is unpaused, without the wait the step was written for.
`spec.pauseStepAtThaw` chooses what happens instead:

- Restart (default): the step's count begins again (its CanaryPauseStep startTime is set to now
  through the status subresource), then the Rollout is unpaused, so the canary waits the whole
  step after the thaw. Always, even when time is left: time spent frozen, while the budget was
  low, says nothing good about the canary.
- Hold: when the step ran out, the Rollout is left paused and budgetwarden lets go of it (its
  paused-by goes), so a person decides with `kubectl argo rollouts promote` or `abort`.
- Continue: unpaused as before; when the step ran out the canary moves on at once, and an Event
  says so.

Deployments, Rollouts at any other step and indefinite pause steps (`pause: {}`) are resumed as
before; so is a Rollout under Hold or Continue whose step still has time left (the controller
counts the rest after the thaw). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from budgetwarden.core.freeze.workload import Note, Workload
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.runbooks import SHIPPED_RUNBOOKS, RunbookLinks
from budgetwarden.core.policy.spec import PauseStepAtThaw


@dataclass(frozen=True)
class Lift:
    """How a pause of budgetwarden's is lifted."""

    paused: bool | None  # False unpauses; None leaves spec.paused as it is (Hold)
    notes: tuple[Note, ...]
    restart_pause_step: datetime | None = None  # the step's new start, written before unpausing


def lift(
    setting: PauseStepAtThaw,
    w: Workload,
    now: datetime,
    resumed: Note,
    *,
    policy: str,
    fid: str,
    runbooks: RunbookLinks = SHIPPED_RUNBOOKS,
) -> Lift:
    """Lift the pause of `w`, which `policy` made in freeze `fid`; `resumed` is the Event of an
    unpause, and a held canary's Event links its page of `runbooks`."""
    step = w.pause_step
    if step is None or not step.timed:
        return Lift(False, (resumed,))
    facts = {"policy": policy, "fid": fid, "step": step.describe(), "name": w.name}
    facts |= {"namespace": w.namespace, "runbook": runbooks.reason(c.EVENT_HELD_AT_THAW)}
    if setting == "Restart":
        return Lift(False, (resumed, _note(c.EVENT_PAUSE_STEP_RESTARTED, facts)), now)
    if not step.ran_out(now):
        return Lift(False, (resumed,))
    if setting == "Hold":
        return Lift(None, (_note(c.EVENT_HELD_AT_THAW, facts),))
    return Lift(False, (resumed, _note(c.EVENT_PAUSE_STEP_ELAPSED, facts)))


# Event messages, all Normal: each says what the canary does next and, for Hold, how to move it.
_MESSAGES = {
    c.EVENT_PAUSE_STEP_RESTARTED: "Restarted the count of pause {step} before resuming, for "
    "ErrorBudgetPolicy {policy} (pauseStepAtThaw: Restart): time spent in freeze {fid} does not "
    "count, so the canary waits the whole step again.",
    c.EVENT_HELD_AT_THAW: "Left paused at {step}: the step ran out during freeze {fid} of "
    "ErrorBudgetPolicy {policy} (pauseStepAtThaw: Hold), so resuming would move the canary on at "
    "once. budgetwarden no longer holds it. To move on, unpause it: `kubectl patch rollout "
    '{name} -n {namespace} --type merge -p \'{{"spec":{{"paused":false}}}}\'`; to go back to '
    "the stable version, `kubectl argo rollouts abort {name} -n {namespace}`, then unpause it. "
    "See {runbook}",
    c.EVENT_PAUSE_STEP_ELAPSED: "Pause {step} ran out during freeze {fid} of ErrorBudgetPolicy "
    "{policy} (pauseStepAtThaw: Continue): resumed, the canary moves on to the next step at once.",
}


def _note(reason: str, facts: dict[str, str]) -> Note:
    return Note("Normal", reason, _MESSAGES[reason].format(**facts))
