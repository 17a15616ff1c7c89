"""The drill's canary: the demo Rollout as the Argo Rollouts controller shows it, frozen mid-way.

demo/drill.py uses a `Canary` when a Rollout the policy targets has a controller (its status
has a phase) and the `kubectl argo rollouts` plugin is at hand (`budgetwarden demo up
--workloads` exports its path):
1. before the burn, `start` ships the next image with `kubectl argo rollouts set image` and
   waits until the canary stands at its first pause step, paused by that step;
2. during the burn, `follow` prints `kubectl argo rollouts get rollout` whenever the Rollout's
   spec.paused changes; at FullFreeze `try_promote_full` runs `promote --full`, printing the
   plugin's exit status and stderr: admission must refuse it;
3. after the thaw, `follow` checks the canary still stands at the step the freeze found it at
   (a promotion that slipped through the freeze would have skipped the rest), then promotes it
   one step at a time until it is Healthy with every step done.
"""

from __future__ import annotations

import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.levels import Level, is_freeze
from budgetwarden.core.policy.spec import ErrorBudgetPolicy
from budgetwarden_dev.demo.drill_admission import DENIED_MARK, next_image
from budgetwarden_dev.demo.observe import RESOURCES, Snapshot, Watcher
from budgetwarden_dev.demo.timeline import Step, StepFailed, Steps, Timeline

HELD = "canary still at the step the freeze held"
COMPLETED = "canary promoted through every step: Healthy"
PROMOTE_DENIED = "promote --full denied"
PAUSE_STEP = "CanaryPauseStep"  # the controller's reason for a pause that is a canary step
STEP_SECONDS = 60.0
SETTLE_SECONDS = 5.0  # how long a view waits for the controller to catch up with the spec
# the lines of `get rollout` that say where the canary stands; the pod tree is left out
VIEW_KEYS = ("Status", "Message", "Strategy", "Step", "SetWeight", "ActualWeight", "Images")
_KEY = re.compile(r"^\s*([A-Za-z]+):(\s|$)")


@dataclass(frozen=True)
class Plugin:
    """The `kubectl argo rollouts` plugin binary, pointed at the drill's cluster and namespace."""

    binary: Path
    kubeconfig: Path
    namespace: str

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the plugin; output captured as text; never raises on a non-zero exit."""
        argv = [str(self.binary), f"--kubeconfig={self.kubeconfig}",
                f"--namespace={self.namespace}", *args]  # fmt: skip
        return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


@dataclass(frozen=True)
class Position:
    """Where a canary stands, read from the Rollout's status as the controller wrote it."""

    phase: str
    step: int | None
    paused_by_step: bool  # a CanaryPauseStep in status.pauseConditions
    spec_paused: bool
    seen: bool  # the controller has seen the latest spec (observedGeneration)

    @classmethod
    def of(cls, rollout: dict[str, Any]) -> Position:
        """The position of a Rollout object."""
        status = rollout.get("status") or {}
        reasons = [p.get("reason") for p in status.get("pauseConditions") or []]
        generation = str(rollout["metadata"].get("generation"))
        return cls(
            phase=str(status.get("phase") or ""),
            step=status.get("currentStepIndex"),
            paused_by_step=PAUSE_STEP in reasons,
            spec_paused=bool((rollout.get("spec") or {}).get("paused")),
            seen=str(status.get("observedGeneration")) == generation,
        )


def controller_view(text: str, annotations: dict[str, str]) -> list[str]:
    """The lines of `get rollout` that say where the canary stands, then the freeze reason."""
    kept, keep = [], False
    for line in text.splitlines():
        if not line.strip():
            break  # the pod tree follows the first blank line
        key = _KEY.match(line)
        if key is not None:
            keep = key.group(1) in VIEW_KEYS
        if keep:
            kept.append(line.rstrip())
    reason = annotations.get(c.ANNOTATION_FREEZE_REASON)
    return kept + ([f"{c.ANNOTATION_FREEZE_REASON}: {reason}"] if reason else [])


def first_pause(rollout: dict[str, Any]) -> int | None:
    """The index of the Rollout's first pause step, None when it has none."""
    steps = (rollout["spec"].get("strategy") or {}).get("canary", {}).get("steps") or []
    return next((i for i, step in enumerate(steps) if "pause" in step), None)


def find(
    watcher: Watcher, policy: ErrorBudgetPolicy, plugin: Plugin | None, timeline: Timeline
) -> Canary | None:
    """The first Rollout the policy targets that a controller runs, with a pause step; None
    when there is none, or no plugin to show it with (then the drill goes on without)."""
    for workload in watcher.workloads(policy).values():
        if workload.kind != "Rollout":
            continue
        rollout = watcher.get(RESOURCES["Rollout"], workload.name)
        if not Position.of(rollout).phase or first_pause(rollout) is None:
            continue
        if plugin is None:
            timeline.line(f"Rollout {workload.name} has a controller, but no plugin was given"
                          " (--argo-rollouts-plugin): the drill ships no canary")  # fmt: skip
            return None
        return Canary(watcher, plugin, workload.name, timeline)
    return None


class Canary:
    """One Rollout driven through a canary with the plugin, and shown as the plugin shows it."""

    def __init__(self, watcher: Watcher, plugin: Plugin, name: str, timeline: Timeline) -> None:
        self.watcher, self.plugin, self.name, self.timeline = watcher, plugin, name, timeline
        self.key = f"Rollout/{name}"
        self.held_step: int | None = None
        self._promoted_at: int | None = None  # the step of our last promote, never promoted twice

    def rollout(self) -> dict[str, Any]:
        """The Rollout as JSON."""
        return self.watcher.get(RESOURCES["Rollout"], self.name)

    def show(self, heading: str) -> None:
        """Print `kubectl argo rollouts get rollout`'s view under `heading`, once the controller
        has seen the latest spec (a view a moment old would contradict the line above it)."""
        give_up = time.monotonic() + SETTLE_SECONDS
        while not Position.of(self.rollout()).seen and time.monotonic() < give_up:
            time.sleep(0.2)
        shown = self.plugin("get", "rollout", self.name, "--no-color")
        annotations = self.rollout()["metadata"].get("annotations") or {}
        lines = controller_view(shown.stdout, annotations) if shown.returncode == 0 else [
            f"(the plugin exited {shown.returncode}: {shown.stderr.strip()})"]  # fmt: skip
        self.timeline.line(heading, lines)

    def start(self) -> None:
        """Ship the next image as a canary and wait until its first pause step holds it."""
        rollout = self.rollout()
        pause = first_pause(rollout)
        position = Position.of(rollout)
        if position.phase == "Healthy":
            container = rollout["spec"]["template"]["spec"]["containers"][0]
            image = f"{container['name']}={next_image(container['image'])}"
            self._run("set", "image", self.name, image)
        steps = Steps(self.timeline, [Step(f"canary paused at step {pause}", None, STEP_SECONDS)])
        while not self._paused_at(pause):
            steps.check_deadlines(f"the Rollout is {Position.of(self.rollout()).phase}")
            time.sleep(0.5)
        self.held_step = pause
        self.show(f"kubectl argo rollouts get rollout {self.name}: paused by its own step")

    def _paused_at(self, step: int | None) -> bool:
        position = Position.of(self.rollout())
        return position.paused_by_step and position.step == step and position.phase == "Paused"

    def _run(self, *args: str) -> None:
        """Run the plugin, print the command and what it said; StepFailed when it failed."""
        result = self.plugin(*args)
        said = (result.stdout + result.stderr).strip().splitlines()
        self.timeline.line(f"kubectl argo rollouts {' '.join(args)}", said)
        if result.returncode != 0:
            raise StepFailed(f"kubectl argo rollouts {args[0]} exited {result.returncode}")

    def try_promote_full(self) -> None:
        """Try `promote --full` during the freeze; it must be denied with budgetwarden's message."""
        steps = Steps(self.timeline, [Step(PROMOTE_DENIED, None, STEP_SECONDS)])
        result = self.plugin("promote", self.name, "--full")
        said = [f"stderr: {line}" for line in result.stderr.strip().splitlines()]
        said += [f"stdout: {line}" for line in result.stdout.strip().splitlines()]
        self.timeline.line(f"kubectl argo rollouts promote {self.name} --full: exit status "
                           f"{result.returncode}", said)  # fmt: skip
        if result.returncode == 0:
            raise StepFailed(f"promote --full was admitted during the freeze; {self.key} is "
                             "promoted past its steps")  # fmt: skip
        if DENIED_MARK not in result.stderr:
            raise StepFailed(f"promote --full failed for another reason: {result.stderr.strip()}")
        steps.mark(PROMOTE_DENIED, True)
        self.show(f"kubectl argo rollouts get rollout {self.name}: after the denied promote")

    def follow(self, before: Snapshot, now: Snapshot, steps: Steps) -> None:
        """Show the view when the Rollout's pause changes; after the thaw, walk its steps."""
        mine, was = now.workloads.get(self.key), before.workloads.get(self.key)
        if mine is None:
            return
        if was is not None and was.paused != mine.paused:
            what = "paused by budgetwarden" if mine.paused_by_us else "resumed"
            self.show(f"kubectl argo rollouts get rollout {self.name}: {what}")
        thawed = not mine.paused and _thawed(now.level)
        if steps.has(COMPLETED) and not steps.done(COMPLETED) and thawed:
            self._walk(steps)

    def _walk(self, steps: Steps) -> None:
        """After the thaw: check the held step once, then promote at each pause step."""
        position = Position.of(self.rollout())
        if not steps.done(HELD):
            if position.step != self.held_step or position.phase == "Healthy":
                raise StepFailed(
                    f"after the thaw {self.key} is {position.phase} at step {position.step}, "
                    f"not at step {self.held_step} where the freeze held it: it skipped steps"
                )
            steps.mark(HELD, True)
        if position.phase == "Healthy" and position.seen:
            self.show(f"kubectl argo rollouts get rollout {self.name}: every step done")
            steps.mark(COMPLETED, True)
        elif position.paused_by_step and position.step != self._promoted_at:
            if position.step != self.held_step:  # the held step's view is on screen already
                self.show(f"kubectl argo rollouts get rollout {self.name}: paused by its own "
                          f"step {position.step}")  # fmt: skip
            self._promoted_at = position.step
            self._run("promote", self.name)


def canary_steps(thaw: float) -> list[Step]:
    """The thaw phase's canary steps, due when the freeze lifts."""
    return [Step(HELD, thaw, 2 * thaw + 60), Step(COMPLETED, thaw, 2 * thaw + 90)]


def _thawed(level: str) -> bool:
    known = {str(x) for x in Level if x is not Level.UNKNOWN}
    return level in known and not is_freeze(Level(level))
