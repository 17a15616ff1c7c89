"""Operator start-up: kopf settings and the collaborators every handler shares.

kopf runs `configure` once before it starts watching, whether the operator was started by
`budgetwarden run` (which puts the rule options from its flags into the memo) or by
`kopf run -m budgetwarden.handlers` (options from BUDGETWARDEN_* variables, else defaults).
Handlers find the collaborators as `memo.collaborators`.

Decisions, with their reasons:
- Our own Events only (kopf's log-to-Event posting is off): one Event per change, with reasons
  from core.kernel.conventions, and none for a restart that changed nothing.
- Standalone unless a peering name was given: one replica needs no peering CRDs; more replicas
  need `--peering` so only one of them handles objects.
- kopf's bookkeeping lives in annotations under our group, never in status: the CRD's status
  schema is strict, and the last-handled configuration is what makes restarts quiet.
- No finalizer (see handlers/slo.py): deletes never hang on a stopped operator.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import kopf

from budgetwarden.adapters.kube import Kube
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.durations import format_duration, parse_duration
from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.core.kernel.levels import Levels
from budgetwarden.core.kernel.model import parse_resource
from budgetwarden.core.slo.rules import RuleOptions

ENV_SCRAPE_INTERVAL = "BUDGETWARDEN_SCRAPE_INTERVAL"
ENV_EVALUATION_INTERVAL = "BUDGETWARDEN_EVALUATION_INTERVAL"
ENV_BUDGET_LEVELS = "BUDGETWARDEN_BUDGET_LEVELS"
# A watch that silently stalls (a proxy dropping idle connections) is restarted by these.
WATCH_SERVER_TIMEOUT_SECONDS = 300
WATCH_CLIENT_TIMEOUT_SECONDS = 330


@dataclass(frozen=True)
class Collaborators:
    """What handlers need, built once per operator process."""

    kube: Kube
    rule_options: RuleOptions


def rule_options(
    scrape_interval: str | None = None,
    evaluation_interval: str | None = None,
    budget_levels: str | None = None,
    env: Mapping[str, str] | None = None,
) -> RuleOptions:
    """RuleOptions from explicit values, else BUDGETWARDEN_* variables, else the defaults.

    Raises SpecError (a bad duration or level, naming the variable) or ValueError.
    """
    env = os.environ if env is None else env
    defaults = RuleOptions()
    scrape = scrape_interval or env.get(ENV_SCRAPE_INTERVAL)
    evaluation = evaluation_interval or env.get(ENV_EVALUATION_INTERVAL)
    levels = budget_levels or env.get(ENV_BUDGET_LEVELS)
    return RuleOptions(
        scrape_interval=_duration(ENV_SCRAPE_INTERVAL, scrape) or defaults.scrape_interval,
        evaluation_interval=_duration(ENV_EVALUATION_INTERVAL, evaluation)
        or defaults.evaluation_interval,
        budget_levels=_levels(levels) if levels else defaults.budget_levels,
    )


def _duration(name: str, text: str | None) -> timedelta | None:
    if not text:
        return None
    try:
        return parse_duration(text)
    except ValueError as error:
        raise SpecError.single(name, str(error)) from error


def _levels(text: str) -> Levels:
    """ "50,30,10" -> warningBelow, partialFreezeBelow, fullFreezeBelow."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 3:
        raise SpecError.single(
            ENV_BUDGET_LEVELS, f'must be three percents like "50,30,10"; got "{text}"'
        )
    keys = ("warningBelow", "partialFreezeBelow", "fullFreezeBelow")
    try:
        return parse_resource(Levels, dict(zip(keys, parts, strict=True)))
    except SpecError as error:
        # Field paths such as "warningBelow" mean nothing to someone who typed "50,30,10".
        message = "; ".join(problem.message for problem in error.problems)
        raise SpecError.single(ENV_BUDGET_LEVELS, message) from error


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, logger: Any, **_: Any) -> None:
    """Apply budgetwarden's kopf settings and build the shared collaborators."""
    settings.posting.enabled = False
    if not settings.peering.mandatory:
        settings.peering.standalone = True
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(
        prefix=c.KOPF_ANNOTATION_PREFIX
    )
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=c.KOPF_ANNOTATION_PREFIX, key=c.KOPF_DIFFBASE_KEY
    )
    settings.persistence.finalizer = f"{c.GROUP}/finalizer"
    settings.watching.server_timeout = WATCH_SERVER_TIMEOUT_SECONDS
    settings.watching.client_timeout = WATCH_CLIENT_TIMEOUT_SECONDS
    options = memo.get("rule_options") or rule_options()
    memo.collaborators = Collaborators(kube=Kube.from_environment(), rule_options=options)
    logger.info(
        "Rules assume a %s scrape interval, evaluate every %s, alert on budgets below %s%%.",
        format_duration(options.scrape_interval),
        format_duration(options.evaluation_interval),
        _levels_text(options.budget_levels),
    )


@kopf.on.login()
def login(memo: kopf.Memo, **_: Any) -> kopf.ConnectionInfo:
    """kopf connects exactly as our client does (one credential lookup, see Kube)."""
    connection = memo.collaborators.kube.connection()
    return kopf.ConnectionInfo(
        server=connection.server,
        ca_path=connection.ca_path,
        insecure=connection.insecure,
        scheme=connection.scheme,
        token=connection.token,
        certificate_path=connection.certificate_path,
        private_key_path=connection.private_key_path,
    )


@kopf.on.cleanup()
def close(memo: kopf.Memo, **_: Any) -> None:
    """Release the API connection pool."""
    collaborators: Collaborators | None = memo.get("collaborators")
    if collaborators is not None:
        collaborators.kube.close()


def _levels_text(levels: Levels) -> str:
    return f"{levels.warning_below}%, {levels.partial_freeze_below}%, {levels.full_freeze_below}"
