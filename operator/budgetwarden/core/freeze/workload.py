"""A Rollout or Deployment as enforcement sees it, what makes its version, what to change.

adapters/kube/workloads.py builds `Workload`s from API objects and applies `Action`s;
core/freeze/enforcement.py plans the actions; handlers/drift.py remembers each workload's
`version_of` and asks `template_drifted` when an event brings a new one. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from budgetwarden.core.freeze.pause_step import PauseStep
from budgetwarden.core.freeze.view import WorkloadRef
from budgetwarden.core.freeze.workload_diff import (
    RESTARTED_AT_ANNOTATION,
    as_mapping,
    pod_template,
    spec_of,
    template_digest,
    without_resources,
)
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.policy.spec import TargetKind


@dataclass(frozen=True)
class Workload:
    """A Rollout or Deployment as enforcement reads it."""

    kind: TargetKind
    namespace: str
    name: str
    uid: str = ""
    resource_version: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    paused: bool = False
    in_flight: bool = False  # an update is between the stable and a new version
    aborted: bool = False  # a Rollout's status.abort
    stable_template: str = ""  # template_digest of the stable version; "" when unknown
    # template_digest of the last revision before the current one (a `rollout undo` goes back
    # to it); "" when unknown or when there is none
    previous_template: str = ""
    template_from: str = ""  # a Rollout's spec.workloadRef Deployment, which holds its template
    pause_step: PauseStep | None = None  # the canary pause step a Rollout stands at, if any
    template: str = ""  # template_digest of the pod template now; "" for a workloadRef Rollout
    # workload_diff.substance_digest (without containers' resources) of the template now and of
    # the stable one ("" when unknown): equal, and the workload differs from its stable version
    # only in resources
    substance: str = ""
    stable_substance: str = ""

    @property
    def ref(self) -> WorkloadRef:
        """The workload as admission and FreezeExceptions name it."""
        return WorkloadRef(self.namespace, self.kind.value, self.name)

    @property
    def pauser(self) -> tuple[str, str] | None:
        """(policy, freeze id) from a paused-by annotation budgetwarden wrote, else None."""
        prefix, _, rest = self.annotations.get(c.ANNOTATION_PAUSED_BY, "").partition("/")
        policy, _, fid = rest.partition("/")
        return (policy, fid) if prefix == c.PAUSED_BY_PREFIX and policy else None


def template_source(obj: object) -> str:
    """The Deployment a Rollout's spec.workloadRef names, else ""."""
    ref = as_mapping(spec_of(obj).get("workloadRef"))
    name = ref.get("name")
    return name if ref.get("kind") == "Deployment" and isinstance(name, str) else ""


def version_of(obj: object, *, resources: bool = True) -> str:
    """A digest of what makes a workload's version: its pod template without the controllers'
    hash labels and the restart stamp (a restart is no new version), and a Rollout's
    workloadRef. Small enough to remember for every workload watched. Without `resources`, the
    containers' resources are left out too: two versions that differ only there have the same
    digest (a resources-only change, which a PartialFreeze may let through)."""
    template = dict(pod_template(obj))
    if not resources:
        template = without_resources(template)
    meta = dict(as_mapping(template.get("metadata")))
    stamps = as_mapping(meta.get("annotations"))
    meta["annotations"] = {k: v for k, v in stamps.items() if k != RESTARTED_AT_ANNOTATION}
    workload_ref = spec_of(obj).get("workloadRef")
    return template_digest({**template, "metadata": meta, "workloadRef": workload_ref})


def template_drifted(
    old_version: str, new: object, stable_template: str = "", previous_template: str = ""
) -> bool:
    """True when an update brings a new version: `new` (the object now) has another version
    than `old_version` (a `version_of`), and its template is neither the recorded stable one
    nor the recorded revision before it (going back to either is a rollback)."""
    if version_of(new) == old_version:
        return False
    rollback_to = {stable_template, previous_template} - {""}
    return template_digest(pod_template(new)) not in rollback_to


@dataclass(frozen=True)
class Note:
    """An Event to post on the workload once its action is applied."""

    type: str
    reason: str
    message: str


@dataclass(frozen=True)
class Action:
    """One workload's changes: annotations (None removes one), spec.paused, status.abort, and
    a pause step's count begun again at `restart_pause_step` (written before the unpause)."""

    workload: Workload
    annotations: Mapping[str, str | None] = field(default_factory=dict)
    paused: bool | None = None
    abort: bool = False
    notes: tuple[Note, ...] = ()
    dry_run: bool = False  # what Enforce would do; only logged
    restart_pause_step: datetime | None = None

    def summary(self) -> str:
        """What the action does, for logs: "restart pause step, resume, annotate"."""
        steps = ["restart pause step" if self.restart_pause_step else ""]
        steps += [{True: "pause", False: "resume", None: ""}[self.paused]]
        steps += ["abort" if self.abort else "", "annotate" if self.annotations else ""]
        return ", ".join(step for step in steps if step)
