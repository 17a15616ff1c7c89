"""kopf handlers for ErrorBudgetPolicy: check the spec and say so in status.

Registered by `budgetwarden.handlers`. For now a policy is parsed and gets Valid and Ready
conditions (InvalidSpec naming the fields, plus one Warning Event, when it cannot be used);
evaluating budgets against it is the poller's job. An invalid policy is never retried: only a
new spec can fix it, and that arrives as an update.
"""

from __future__ import annotations

from typing import Any

import kopf

from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.policy.spec import parse_policy
from budgetwarden.handlers.startup import controls, operator_of
from budgetwarden.handlers.validation import check_and_record
from budgetwarden.runtime.reporting import Logger


@kopf.on.resume(c.GROUP, c.VERSION, c.PLURAL_POLICY, when=controls)
@kopf.on.create(c.GROUP, c.VERSION, c.PLURAL_POLICY, when=controls)
@kopf.on.update(c.GROUP, c.VERSION, c.PLURAL_POLICY, when=controls)
def check_policy(body: kopf.Body, memo: kopf.Memo, retry: int, logger: Logger, **_: Any) -> None:
    """Parse the policy and record Valid/Ready; returns None so kopf writes nothing to status."""
    check_and_record(
        operator_of(memo).kube,
        dict(body),
        c.PLURAL_POLICY,
        c.KIND_POLICY,
        parse_policy,
        retry=retry,
        logger=logger,
    )
