"""The mail a notice becomes: a subject naming level, policy and namespace; a plain-text body."""

from __future__ import annotations

from datetime import timedelta

from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.policy.notification import change_notice, reminder_notice
from budgetwarden.core.policy.notify_email import MailText, email_text
from notify_support import NOW, POLICY, decided, state

SIGN_OFF = "-- \nbudgetwarden\n"  # "-- " with its space: the separator mail clients know
RUNBOOK = "https://github.com/budgetwarden/budgetwarden/blob/main/runbooks/freeze.md"
REASON = "SLO checkout-availability has 21.4% error budget left (partial freeze below 30%)"
FROZEN_BODY = f"""\
{{what}}
{REASON}

Policy:      payments (namespace shop)
Level:       PartialFreeze since 2026-11-29T10:14:00Z
Enforcement: Enforce
Freeze id:   fz-2f9521

SLOs:
  checkout-availability: 21.4% left (PartialFreeze)
  checkout-latency: 44.9% left (Warning)
  search: no data (Unknown)

Exceptions:  kubectl -n shop get freezeexceptions
Runbook:     {RUNBOOK}

{SIGN_OFF}"""


def test_a_freeze_mail_names_level_policy_and_namespace_and_says_what_to_do() -> None:
    decision = decided(
        state(Level.WARNING), checkout_availability="21.4", checkout_latency="44.9", search=None
    )
    assert email_text(change_notice(POLICY, state(Level.WARNING), decision)) == MailText(
        subject="[budgetwarden] PartialFreeze: policy payments in namespace shop "
        "(Warning → PartialFreeze)",
        body=FROZEN_BODY.format(what="Warning → PartialFreeze"),
    )


def test_a_reminder_mail_says_how_long_the_freeze_has_lasted() -> None:
    decision = decided(None, checkout_availability="21.4", checkout_latency="44.9", search=None)
    later = NOW + timedelta(hours=8, seconds=40)
    assert email_text(reminder_notice(POLICY, decision, later)) == MailText(
        subject="[budgetwarden] Reminder: PartialFreeze for 8h: policy payments in namespace shop",
        body=FROZEN_BODY.format(what="Still PartialFreeze after 8h"),
    )


def test_a_thaw_mail_has_no_freeze_id_and_no_exceptions() -> None:
    previous = state(Level.PARTIAL_FREEZE, "fz-0ld1d")
    decision = decided(previous, checkout_availability="90")
    assert email_text(change_notice(POLICY, previous, decision)) == MailText(
        subject="[budgetwarden] Normal: policy payments in namespace shop (PartialFreeze → Normal)",
        body=f"""\
PartialFreeze → Normal
SLO checkout-availability has 90.0% error budget left (warning below 50%)

Policy:      payments (namespace shop)
Level:       Normal since 2026-11-29T10:14:00Z
Enforcement: Enforce

SLOs:
  checkout-availability: 90.0% left (Normal)

Runbook:     {RUNBOOK}

{SIGN_OFF}""",
    )
