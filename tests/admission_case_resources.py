"""A theme of the admission case table: changes of only container resources.

Raising a limit is the first mitigation of resource exhaustion and ships no new code, so a
PartialFreeze lets a change of only containers' and init containers' requests and limits
through (spec.resourceChanges: AllowedAtPartialFreeze, the default); FullFreeze, and a policy
that says Blocked, refuse it as a new version. Any other template change alongside makes it one.

tests/admission_case_table.py includes these cases in its table.
"""

from __future__ import annotations

import copy
from typing import Any

from admission_case_support import (
    ALLOWED,
    AdmissionCase,
    Change,
    Scene,
    denial,
    denied,
    freeze,
)
from budgetwarden.core.freeze.view import FreezeView
from budgetwarden.core.kernel.levels import Level

SMALL = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}}
LARGE = {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}}


def sized(obj: dict[str, Any], resources: dict[str, Any], init: bool = False) -> dict[str, Any]:
    """`obj` with its container's resources set (and an init container's, with `init`)."""
    resized = copy.deepcopy(obj)
    spec = resized["spec"]["template"]["spec"]
    spec["containers"][0]["resources"] = resources
    if init:
        spec["initContainers"] = [{"name": "migrate", "image": "shop/migrate:7",
                                   "resources": resources}]  # fmt: skip
    return resized


def resources_cases(ns: str) -> list[AdmissionCase]:
    """Resources-only changes at each freeze level, and with something else changed too."""
    s = Scene(ns)
    C, A = AdmissionCase, ALLOWED
    partial, full = FreezeView((freeze(),)), FreezeView((freeze(Level.FULL_FREEZE),))
    blocking = FreezeView((freeze(resources_at_partial=False),))
    small, large = sized(s.running, SMALL), sized(s.running, LARGE)
    return [
        C("raising a container's requests and limits during a partial freeze is allowed",
          Change("UPDATE", small, large), partial, A),
        C("an init container's resources change during a partial freeze too",
          Change("UPDATE", sized(s.running, SMALL, init=True),
                 sized(s.running, LARGE, init=True)), partial, A),
        C("raising a container's limits during a full freeze is refused as a new version",
          Change("UPDATE", small, large), full, denied(denial(ns, "FullFreeze"))),
        C("a policy with resourceChanges Blocked refuses them during a partial freeze",
          Change("UPDATE", small, large), blocking,
          denied(denial(ns, resources_through=False))),
        C("new limits with a new image are a new version",
          Change("UPDATE", small, sized(s.w(), LARGE)), partial, denied(denial(ns))),
        C("adding a container's resources where it had none is a resources change",
          Change("UPDATE", s.running, large), partial, A),
    ]  # fmt: skip
