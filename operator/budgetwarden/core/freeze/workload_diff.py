"""What an update to a workload changes: a new version, a rollback, a restart, scaling, a pause.

The admission decision (`core.freeze.admission`) and the detection fallback (which notices new
versions that landed while the webhook was unreachable) share this classification, so both agree on
what a "new version" is. Inputs are raw objects as they arrive in an AdmissionReview: any JSON
value, any shape. Nothing here raises on malformed input; a missing or mistyped field reads as
absent.

Rollbacks: the pod-template hash Argo Rollouts and Deployments put on ReplicaSets cannot be
recomputed outside Go, so the operator records `template_digest` of the stable version's pod
template (the ReplicaSet named by a Rollout's `status.stableRS`, or a Deployment's last complete
revision) when it holds a workload, and a change is a rollback when the new template's digest
equals that record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from budgetwarden.core.kernel.conventions import GROUP

# Labels the controllers add to ReplicaSet templates; they are not part of the version.
POD_TEMPLATE_HASH_LABELS = frozenset({"rollouts-pod-template-hash", "pod-template-hash"})
# Annotations under this prefix are the operator's marks (core/freeze/enforcement.py MARKS).
MARK_PREFIX = f"{GROUP}/"
# `kubectl rollout restart` stamps this into the pod template: new pods, same version.
RESTARTED_AT_ANNOTATION = "kubectl.kubernetes.io/restartedAt"
DIGEST_PREFIX = "sha256:"


class ChangeKind(StrEnum):
    """What one admission request does to a workload, most significant first."""

    TEMPLATE = "Template"  # a new version: the pod template (or a Rollout's workloadRef) changed
    CREATE = "Create"  # a new workload
    DELETE = "Delete"
    UNPAUSE = "Unpause"  # spec.paused true -> false (a promote or resume)
    PROMOTE = "Promote"  # a Rollout status write that promotes, resumes, retries or skips a step
    ROLLBACK = "Rollback"  # the template returns to the recorded stable version
    RESTART = "Restart"  # only the restartedAt stamp of the template changed
    RESOURCES = "Resources"  # only containers' resources (requests, limits) changed: a mitigation
    PAUSE = "Pause"  # spec.paused false -> true
    SPEC = "Spec"  # other spec fields: strategy, limits, restartAt
    SCALE = "Scale"  # spec.replicas only
    MARKS = "Marks"  # a budgetwarden.io/ annotation: the operator's record of a freeze
    RELABEL = "Relabel"  # metadata.labels
    METADATA = "Metadata"
    STATUS = "Status"
    NONE = "None"


_SIGNIFICANCE = tuple(ChangeKind)


def as_mapping(value: object) -> Mapping[str, Any]:
    """`value` if it is a mapping, else an empty one: malformed input reads as absent."""
    return value if isinstance(value, Mapping) else {}


def spec_of(obj: object) -> Mapping[str, Any]:
    """The object's `spec`, or an empty mapping."""
    return as_mapping(as_mapping(obj).get("spec"))


def pod_template(obj: object) -> Mapping[str, Any]:
    """The object's `spec.template`, or an empty mapping."""
    return as_mapping(spec_of(obj).get("template"))


def string_map(value: object) -> dict[str, str]:
    """The str -> str entries of a labels or annotations map; anything else is dropped."""
    return {k: v for k, v in as_mapping(value).items() if isinstance(k, str) and isinstance(v, str)}


def labels_of(obj: object) -> dict[str, str]:
    """The object's `metadata.labels`."""
    return string_map(as_mapping(as_mapping(obj).get("metadata")).get("labels"))


def annotations_of(obj: object) -> dict[str, str]:
    """The object's `metadata.annotations`."""
    return string_map(as_mapping(as_mapping(obj).get("metadata")).get("annotations"))


def marks_of(obj: object) -> dict[str, str]:
    """The object's budgetwarden.io/ annotations."""
    return {k: v for k, v in annotations_of(obj).items() if k.startswith(MARK_PREFIX)}


def is_paused(obj: object) -> bool:
    """True only when `spec.paused` is the boolean true."""
    return spec_of(obj).get("paused") is True


def _without(template: Mapping[str, Any], *, restart: bool) -> dict[str, Any]:
    """A copy of the template without the controllers' hash labels (and restart stamp)."""
    meta = dict(as_mapping(template.get("metadata")))
    labels = as_mapping(meta.get("labels"))
    meta["labels"] = {k: v for k, v in labels.items() if k not in POD_TEMPLATE_HASH_LABELS}
    if restart:
        annotations = as_mapping(meta.get("annotations"))
        meta["annotations"] = {k: v for k, v in annotations.items() if k != RESTARTED_AT_ANNOTATION}
    return {**template, "metadata": meta}


def _canonical(value: object) -> str:
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=repr)
    except (TypeError, ValueError, RecursionError):
        # Only reachable for values JSON cannot hold (non-string keys, cycles); never raise.
        return repr(value)


def template_digest(template: object) -> str:
    """A stable digest of a pod template, ignoring the controllers' pod-template-hash labels."""
    normalised = _without(as_mapping(template), restart=False)
    return DIGEST_PREFIX + hashlib.sha256(_canonical(normalised).encode()).hexdigest()


def substance_digest(template: object) -> str:
    """template_digest of a pod template without containers' resources and the restart stamp:
    two templates with the same substance differ at most in requests and limits."""
    return template_digest(without_resources(_without(as_mapping(template), restart=True)))


def _workload_ref_changed(old: object, new: object) -> bool:
    return _canonical(spec_of(old).get("workloadRef")) != _canonical(
        spec_of(new).get("workloadRef")
    )


def template_changed(old: object, new: object) -> bool:
    """True when the pod template (or a Rollout's workloadRef) differs; hash labels ignored."""
    if _workload_ref_changed(old, new):
        return True
    return template_digest(pod_template(old)) != template_digest(pod_template(new))


def _template_facet(
    old: object, new: object, stable_template: str, previous_template: str = ""
) -> ChangeKind | None:
    if not template_changed(old, new):
        return None
    rollback_to = {stable_template, previous_template} - {""}
    if rollback_to and template_digest(pod_template(new)) in rollback_to:
        return ChangeKind.ROLLBACK
    if _workload_ref_changed(old, new):
        return ChangeKind.TEMPLATE
    old_rest = _without(pod_template(old), restart=True)
    new_rest = _without(pod_template(new), restart=True)
    if _canonical(old_rest) == _canonical(new_rest):
        return ChangeKind.RESTART
    if _canonical(without_resources(old_rest)) == _canonical(without_resources(new_rest)):
        return ChangeKind.RESOURCES
    return ChangeKind.TEMPLATE


_CONTAINER_LISTS = ("containers", "initContainers")


def without_resources(template: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the template whose containers and init containers have no `resources`."""
    spec = dict(as_mapping(template.get("spec")))
    for field in _CONTAINER_LISTS:
        listed = spec.get(field)
        if isinstance(listed, list):
            spec[field] = [
                {k: v for k, v in as_mapping(c).items() if k != "resources"} for c in listed
            ]
    return {**template, "spec": spec}


_VERSION_FIELDS = frozenset({"template", "workloadRef", "paused", "replicas"})


def _spec_facets(old: object, new: object) -> set[ChangeKind]:
    old_spec, new_spec = spec_of(old), spec_of(new)
    facets: set[ChangeKind] = set()
    if is_paused(old) and not is_paused(new):
        facets.add(ChangeKind.UNPAUSE)
    elif is_paused(new) and not is_paused(old):
        facets.add(ChangeKind.PAUSE)
    if _canonical(old_spec.get("replicas")) != _canonical(new_spec.get("replicas")):
        facets.add(ChangeKind.SCALE)
    keys = (set(old_spec) | set(new_spec)) - _VERSION_FIELDS
    if any(_canonical(old_spec.get(k)) != _canonical(new_spec.get(k)) for k in keys):
        facets.add(ChangeKind.SPEC)
    return facets


def change_facets(
    old: object, new: object, stable_template: str = "", previous_template: str = ""
) -> frozenset[ChangeKind]:
    """Everything an update changes; `stable_template` is the recorded stable digest and
    `previous_template` the revision before it, if known: a change to either is a rollback."""
    if old is None or new is None:
        if old is None and new is None:
            return frozenset({ChangeKind.NONE})
        return frozenset({ChangeKind.CREATE if old is None else ChangeKind.DELETE})
    facets = _spec_facets(old, new)
    template = _template_facet(old, new, stable_template, previous_template)
    if template is not None:
        facets.add(template)
    old_map, new_map = as_mapping(old), as_mapping(new)
    if _canonical(old_map.get("metadata")) != _canonical(new_map.get("metadata")):
        facets.add(ChangeKind.METADATA)
    if marks_of(old) != marks_of(new):
        facets.add(ChangeKind.MARKS)
    if labels_of(old) != labels_of(new):
        facets.add(ChangeKind.RELABEL)
    if _canonical(old_map.get("status")) != _canonical(new_map.get("status")):
        facets.add(ChangeKind.STATUS)
    return frozenset(facets or {ChangeKind.NONE})


def most_significant(facets: frozenset[ChangeKind]) -> ChangeKind:
    """The facet that decides admission: a new version outranks a scale or a label change."""
    return next((kind for kind in _SIGNIFICANCE if kind in facets), ChangeKind.NONE)


def classify_change(old: object, new: object, stable_template: str = "") -> ChangeKind:
    """The most significant change an update makes (None for old means CREATE, for new DELETE)."""
    return most_significant(change_facets(old, new, stable_template))
