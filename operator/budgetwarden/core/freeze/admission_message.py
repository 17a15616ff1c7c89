"""The text admission shows people and GitOps tools: the denial message and the warnings.

`core.freeze.admission` picks which text applies; this module only writes it. Every text is one line
of printable ASCII that starts with `[budgetwarden]`, carries absolute RFC 3339 UTC times and
nothing relative, so retries of one request get byte-identical messages and Argo CD or Flux
conditions do not churn. A denial fits in `MAX_MESSAGE` characters: long names are shortened before
anything else is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from budgetwarden.core.freeze.exception_spec import FreezeException
from budgetwarden.core.freeze.view import PolicyFreeze, WorkloadRef
from budgetwarden.core.kernel import conventions
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.kernel.wire import format_time, number_text, percent_text

PREFIX = "[budgetwarden]"
MAX_MESSAGE = 600
MAX_URL = 200  # a longer runbook link is replaced by the shipped one: a cut URL is useless
DEFAULT_RUNBOOK_URL = conventions.runbook_url("freeze")
WIDTHS = (63, 40, 24, 12)  # how far names are shortened, step by step, to fit MAX_MESSAGE
CAUSE_WIDTH = 160  # a burn-rate or hold reason, shortened as a whole

BLOCKED_TEMPLATE = "pod template changes (new versions)"
BLOCKED_CREATE = "creating workloads (new versions)"
BLOCKED_UNPAUSE = "resuming a workload budgetwarden paused for this freeze"
BLOCKED_MARKS = "changing the budgetwarden.io annotations that record this freeze"
BLOCKED_RELABEL = "label changes that take a held workload out of its policy's targets"
BLOCKED_PROMOTE = (
    "promoting, resuming, retrying or skipping steps of a held Rollout through its status"
)
STILL_ALLOWED = "rollbacks to the stable version, scaling, pausing, restarts, metadata changes"
# at a PartialFreeze whose policy lets changes of only containers' requests and limits through
# (spec.resourceChanges); short, because a denial fits in MAX_MESSAGE characters
STILL_ALLOWED_PARTIAL = (
    "rollbacks to the stable version, scaling, resources, pausing, restarts, metadata changes"
)
HOW_PARTIAL = "To ship a critical fix, an approver creates a FreezeException"
HOW_FULL = "To ship anyway, an approver creates a FreezeException with maxLevel FullFreeze"


def clip(text: str, width: int) -> str:
    """`text` as printable ASCII, shortened to `width` characters with a trailing "..."."""
    clean = "".join(c if " " <= c <= "~" else "?" for c in text)
    return clean if len(clean) <= width else clean[: max(width - 3, 0)] + "..."


def shown_number(value: Decimal, show: Callable[[Decimal], str]) -> str:
    try:
        return clip(show(value), 12)
    except ArithmeticError:  # NaN, or beyond the decimal context: show it as it is
        return clip(f"{value:f}", 12)


def _scope(ref: WorkloadRef, width: int) -> str:
    return f"{clip(ref.namespace, width)}/{clip(ref.kind, 16)}/{clip(ref.name, width)}"


def _budget(policy: PolicyFreeze, width: int) -> str:
    slo = f"SLO {clip(policy.slo, width)}" if policy.slo else "the SLO"
    if policy.remaining_percent is None:
        return f"{slo} has no current error budget reading (metrics unavailable)"
    below = ""
    if policy.threshold_percent is not None:
        below = f" (below {shown_number(policy.threshold_percent, number_text)}%)"
    left = shown_number(policy.remaining_percent, percent_text)
    return f"{slo} has {left}% error budget left{below}{cause_text(policy)}"


def cause_text(policy: PolicyFreeze) -> str:
    """ "; frozen by <status.reason>, earliest thaw <time>" when the budget is above the
    threshold and a burn-rate trigger or the minimum hold keeps the freeze; else ""."""
    if not policy.cause:
        return ""
    thaw = policy.earliest_thaw
    return f"; frozen by {clip(policy.cause, CAUSE_WIDTH)}" + (
        f", earliest thaw {format_time(thaw)}" if thaw is not None else ""
    )


def _headline(policy: PolicyFreeze, ref: WorkloadRef, width: int) -> str:
    """`[budgetwarden] <level> on <ns/kind/name>: <budget facts> under policy <p> since <t>`."""
    since = f" since {format_time(policy.since)}" if policy.since is not None else ""
    return (
        f"{PREFIX} {policy.level.value} on {_scope(ref, width)}: {_budget(policy, width)}"
        f" under policy {clip(policy.policy, width)}{since}"
    )


def _freeze_id(policy: PolicyFreeze) -> str:
    return f" Freeze {clip(policy.freeze_id, 40)}." if policy.freeze_id else ""


def runbook_of(policy: PolicyFreeze) -> str:
    url = policy.runbook_url
    return clip(url, MAX_URL) if url and len(url) <= MAX_URL else DEFAULT_RUNBOOK_URL


def _denial(policy: PolicyFreeze, ref: WorkloadRef, blocked: str, width: int) -> str:
    how = HOW_FULL if policy.level == Level.FULL_FREEZE else HOW_PARTIAL
    allowed = STILL_ALLOWED_PARTIAL if policy.lets_resources_through() else STILL_ALLOWED
    return (
        f"{_headline(policy, ref, width)}. Blocked: {blocked}. Still allowed: {allowed}."
        f" {how} (kubectl explain freezeexception; runbook: {runbook_of(policy)})."
        f"{_freeze_id(policy)}"
    )


def denial_message(policy: PolicyFreeze, ref: WorkloadRef, blocked: str) -> str:
    """The one-line reason a change is refused, at most MAX_MESSAGE characters."""
    for width in WIDTHS:
        message = _denial(policy, ref, blocked, width)
        if len(message) <= MAX_MESSAGE:
            return message
    return clip(message, MAX_MESSAGE)


def exception_warning(policy: PolicyFreeze, ref: WorkloadRef, exception: FreezeException) -> str:
    """Told to whoever ships through a freeze: which exception let them, until when."""
    spec = exception.spec
    ticket = f"ticket {clip(spec.ticket, 40)}, " if spec.ticket else ""
    return (
        f"{PREFIX} {policy.level.value} on {_scope(ref, 63)}: allowed by FreezeException"
        f" {clip(exception.metadata.name, 63)} ({ticket}expires {format_time(spec.expires_at)})"
        f" under policy {clip(policy.policy, 63)}.{_freeze_id(policy)}"
    )


def budget_warning(policy: PolicyFreeze, ref: WorkloadRef) -> str:
    """Told at the Warning level about a new version: allowed now, a freeze would block it."""
    return (
        f"{PREFIX} {policy.level.value} on {_scope(ref, 63)}: {_budget(policy, 63)} under policy"
        f" {clip(policy.policy, 63)}. New versions are still allowed; a freeze would block them."
    )


def unknown_warning(policy: PolicyFreeze, ref: WorkloadRef) -> str:
    """Told when a policy has no level yet: the change went through unchecked."""
    return (
        f"{PREFIX} Unknown on {_scope(ref, 63)}: policy {clip(policy.policy, 63)} has no error"
        " budget level yet; this change was not checked."
    )


def not_checked_warning(detail: str) -> str:
    """Told when the request itself cannot be judged; the webhook fails open, as Ignore would."""
    return f"{PREFIX} Not checked: {clip(detail, 160)}; the change is allowed."


def gate_open(ref: WorkloadRef) -> str:
    """What the freeze gate says when nothing would stop a new version."""
    return f"{PREFIX} Not frozen: a new version of {_scope(ref, 63)} would be admitted now."
