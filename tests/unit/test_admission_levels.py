"""The webhook's decision on a new version at each level and enforcement mode, whole.

Normal, Warning, Unknown, PartialFreeze and FullFreeze; enforcement Warn and DryRun; a freeze
without metrics; several policies freezing at once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from admission_decision_support import (
    FROZEN,
    FULL,
    FULL_TEMPLATE,
    NEW,
    NOW,
    OLD,
    OPERATOR,
    PARTIAL,
    PARTIAL_TEMPLATE,
    PLATFORM_PARTIAL,
    UNKNOWN_LEVEL,
    WARNING_LEVEL,
    T,
    expect,
    freeze,
    review,
    workload,
)
from budgetwarden.core.freeze.admission import AdmissionDecision, Reason, decide
from budgetwarden.core.freeze.view import FreezeView
from budgetwarden.core.freeze.workload_diff import ChangeKind
from budgetwarden.core.kernel.levels import Level

LEVEL_ROWS = [
    pytest.param(
        review("UPDATE", NEW, OLD),
        PARTIAL,
        expect(T, **FROZEN, message=PARTIAL_TEMPLATE),
        id="a new image during a partial freeze is denied with the whole message",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FULL,
        expect(T, **FROZEN, message=FULL_TEMPLATE),
        id="a new image during a full freeze is denied and says how to get a FullFreeze exception",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FreezeView(policies=(freeze(Level.NORMAL),)),
        expect(T, allowed=True, reason_code=Reason.NOT_FROZEN),
        id="a new image under Normal is allowed without a word",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FreezeView(
            policies=(
                freeze(
                    Level.WARNING,
                    freeze_id="",
                    remaining_percent=Decimal("41.58"),
                    threshold_percent=Decimal("50.0"),
                ),
            )
        ),
        expect(
            T,
            allowed=True,
            reason_code=Reason.BUDGET_WARNING,
            warnings=(WARNING_LEVEL,),
        ),
        id="a new image at Warning is allowed with a warning",
    ),
    pytest.param(
        review("UPDATE", workload("shop/checkout:1.4.2", replicas=8), OLD),
        FreezeView(policies=(freeze(Level.WARNING, freeze_id=""),)),
        expect(ChangeKind.SCALE, allowed=True, reason_code=Reason.NOT_FROZEN),
        id="scaling at Warning is allowed without a warning",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FreezeView(policies=(freeze(Level.UNKNOWN, freeze_id=""),)),
        expect(
            T,
            allowed=True,
            reason_code=Reason.BUDGET_UNKNOWN,
            warnings=(UNKNOWN_LEVEL,),
        ),
        id="a policy with no level yet lets a new image through with a not-checked warning",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FreezeView(policies=(freeze(enforcement="Warn"),)),
        expect(
            T,
            allowed=True,
            reason_code=Reason.WARN_ONLY,
            message=PARTIAL_TEMPLATE,
            warnings=(PARTIAL_TEMPLATE,),
            freeze_id="fz-7c2e",
        ),
        id="enforcement Warn allows and shows the denial as a warning",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FreezeView(policies=(freeze(enforcement="DryRun"),)),
        expect(
            T,
            allowed=True,
            reason_code=Reason.DRY_RUN,
            message=PARTIAL_TEMPLATE,
            dry_run=True,
            freeze_id="fz-7c2e",
        ),
        id="enforcement DryRun allows silently and records the denial it would make",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FreezeView(policies=(freeze(remaining_percent=None, threshold_percent=None),)),
        expect(
            T,
            **FROZEN,
            message=PARTIAL_TEMPLATE.replace(
                "has 21.4% error budget left (below 30%)",
                "has no current error budget reading (metrics unavailable)",
            ),
        ),
        id="a freeze held without metrics says there is no budget reading",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FreezeView(
            policies=(
                freeze(enforcement="Warn"),
                freeze(Level.FULL_FREEZE, policy="platform", freeze_id="fz-91ab", held=()),
            )
        ),
        expect(
            T,
            allowed=False,
            reason_code=Reason.FROZEN,
            status_code=403,
            freeze_id="fz-91ab",
            message=FULL_TEMPLATE.replace("policy payments", "policy platform").replace(
                "fz-7c2e", "fz-91ab"
            ),
        ),
        id="an enforced full freeze outranks a warn-only partial one and names its policy",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FreezeView(
            policies=(
                freeze(enforcement="DryRun"),
                freeze(policy="platform", enforcement="Warn", freeze_id="fz-91ab", held=()),
            )
        ),
        expect(
            T,
            allowed=True,
            reason_code=Reason.WARN_ONLY,
            dry_run=True,
            freeze_id="fz-91ab",
            message=PLATFORM_PARTIAL,
            warnings=(PLATFORM_PARTIAL,),
        ),
        id="a warn-only freeze shows its warning while a DryRun freeze is only recorded",
    ),
]


@pytest.mark.parametrize(("body", "view", "expected"), LEVEL_ROWS)
def test_decide(body: dict[str, Any], view: FreezeView, expected: AdmissionDecision) -> None:
    assert decide(body, view, operator_username=OPERATOR, now=NOW) == expected
