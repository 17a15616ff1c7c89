"""What an admission decision is: the `Reason` it came out as and the `AdmissionDecision` itself.

core/freeze/admission.py reaches decisions and core/freeze/admission_review.py parses the
AdmissionReview requests they are about and shapes the responses they become; both, and
core/freeze/vap_cel.py (which names a `Reason` per policy in its CEL), use these types. Callers
import them from core/freeze/admission.py, which re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from budgetwarden.core.freeze.workload_diff import ChangeKind


class Reason(StrEnum):
    """Why a decision came out as it did, strongest first (the first that applies wins)."""

    FROZEN = "Frozen"
    WARN_ONLY = "FrozenWarnOnly"
    DRY_RUN = "FrozenDryRun"
    EXCEPTION = "AllowedByException"
    BUDGET_WARNING = "BudgetWarning"
    BUDGET_UNKNOWN = "BudgetUnknown"
    ALLOWED_DURING_FREEZE = "AllowedDuringFreeze"
    NOT_FROZEN = "NotFrozen"
    OWN_CHANGE = "OwnChange"
    SUBRESOURCE = "Subresource"
    NOT_CHECKED = "NotChecked"


@dataclass(frozen=True)
class AdmissionDecision:
    """What admission answers; `message` also holds the denial a Warn/DryRun policy would make."""

    allowed: bool
    reason_code: Reason
    status_code: int = 200
    message: str = ""
    warnings: tuple[str, ...] = ()
    exception_used: str | None = None
    dry_run: bool = False  # a DryRun policy would have denied this
    change: ChangeKind = ChangeKind.NONE
    freeze_id: str = ""
