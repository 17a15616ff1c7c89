"""Kubernetes label-selector semantics, for sloSelector, policy targets and exception targets.

The registry (which SLOs a policy selects), enforcement (which workloads it holds) and admission
(which policies and exceptions cover a workload) all match through `selector_matches`. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping

from budgetwarden.core.policy.spec import LabelSelector, SelectorRequirement


def _requirement_matches(requirement: SelectorRequirement, labels: Mapping[str, str]) -> bool:
    present = requirement.key in labels
    if requirement.operator == "Exists":
        return present
    if requirement.operator == "DoesNotExist":
        return not present
    inside = present and labels[requirement.key] in requirement.values
    return inside if requirement.operator == "In" else not inside


def selector_matches(selector: LabelSelector, labels: Mapping[str, str]) -> bool:
    """Kubernetes label-selector semantics; an empty selector matches everything."""
    if any(labels.get(key) != value for key, value in selector.match_labels.items()):
        return False
    return all(_requirement_matches(r, labels) for r in selector.match_expressions)
