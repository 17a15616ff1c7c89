"""The parts of the operator's configuration, each parsed from text once and then frozen.

`runtime/config.py` assembles them into one `OperatorConfig`. Every parser takes the text of a
flag or variable and raises `ConfigError` naming that flag or variable, so a typo stops the
operator before it starts, with one line that says what to fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal

from budgetwarden.core.freeze.exception_admission import DEFAULT_MAX_TTL
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.durations import parse_duration
from budgetwarden.core.kernel.errors import BudgetwardenError, SpecError
from budgetwarden.core.kernel.levels import Levels
from budgetwarden.core.kernel.model import parse_resource
from budgetwarden.core.kernel.runbooks import SHIPPED_RUNBOOKS, RunbookLinks, parse_runbook_base
from budgetwarden.core.slo.priorities import DEFAULT_PRIORITIES, AlertPriorities, parse_priorities

AdmissionMode = Literal["webhook", "vap", "none"]
ADMISSION_MODES: tuple[AdmissionMode, ...] = ("webhook", "vap", "none")
# What one process runs: everything; all but the webhook server; or only the webhook server
# (with its own watch-fed state), so that admission has a process, and a memory limit, of its own.
Role = Literal["all", "controller", "admission"]
ROLES: tuple[Role, ...] = ("all", "controller", "admission")
FailurePolicy = Literal["Ignore", "Fail"]
DEFAULT_POLL_INTERVAL = timedelta(seconds=30)
DEFAULT_METRICS_PORT = 8080
DEFAULT_STATUS_REFRESH = timedelta(minutes=10)
DEFAULT_LEASE_DURATION = timedelta(seconds=15)
DEFAULT_RELIST_INTERVAL = timedelta(minutes=5)
# A sample older than this many polls (or rule evaluations, if those are slower) is stale.
STALE_AFTER_POLLS = 3


class ConfigError(BudgetwardenError, ValueError):
    """A flag or BUDGETWARDEN_* variable that cannot be used; the message names it."""


@dataclass(frozen=True)
class SecretKey:
    """A key of a Secret: where the Prometheus bearer token is kept."""

    namespace: str
    name: str
    key: str

    @classmethod
    def parse(cls, text: str) -> SecretKey:
        """ "monitoring/prometheus-token/token" -> SecretKey; ValueError otherwise."""
        parts = text.split("/")
        if len(parts) != 3 or not all(parts):
            raise ValueError(f'must be NAMESPACE/NAME/KEY; got "{text}"')
        return cls(*parts)


@dataclass(frozen=True)
class BudgetLoopConfig:
    """How the budget loop reads Prometheus and how often; no URL means no polling."""

    prometheus_url: str | None = None
    token_secret: SecretKey | None = None
    ca_file: str | None = None
    interval: timedelta = DEFAULT_POLL_INTERVAL
    stale_after: timedelta | None = None
    status_refresh: timedelta = DEFAULT_STATUS_REFRESH
    metrics_port: int | None = DEFAULT_METRICS_PORT

    def max_age(self, evaluation_interval: timedelta) -> timedelta:
        """How old a sample may be before it counts as missing."""
        return self.stale_after or STALE_AFTER_POLLS * max(self.interval, evaluation_interval)


@dataclass(frozen=True)
class WebhookListen:
    """Where the admission webhook listens and the serving certificate it presents."""

    host: str
    port: int
    cert: Path
    key: Path
    client_ca: Path | None = None  # when set, only clients with a certificate it signed


@dataclass(frozen=True)
class AdmissionConfig:
    """How freezes are enforced at admission: by webhook, by ValidatingAdmissionPolicy, or not."""

    mode: AdmissionMode = "none"
    webhook: WebhookListen | None = None
    max_ttl: timedelta = DEFAULT_MAX_TTL
    operator_username: str = ""
    vap_failure_policy: FailurePolicy = "Ignore"
    allow_service_account_approvers: bool = False  # may system:serviceaccount:* approve?
    # whose Rollout status writes are never judged: the Argo Rollouts controller's users
    status_writers: tuple[str, ...] = (c.ROLLOUTS_CONTROLLER_USERNAME,)


@dataclass(frozen=True)
class ReplicaConfig:
    """How replicas elect the one that polls (runtime/leader.py) and how often all re-list."""

    lease_namespace: str = "default"
    lease_name: str = "budgetwarden"
    lease_duration: timedelta = DEFAULT_LEASE_DURATION
    relist_interval: timedelta = DEFAULT_RELIST_INTERVAL


@dataclass(frozen=True)
class WatchScope:
    """The namespaces the operator watches, as kopf takes them: names, globs ("team-*") and
    exclusions ("!team-test"); none at all means every namespace."""

    patterns: tuple[str, ...] = ()

    def covers(self, namespace: str) -> bool:
        """Whether objects of `namespace` are watched."""
        include = [p for p in self.patterns if not p.startswith("!")]
        exclude = [p[1:] for p in self.patterns if p.startswith("!")]
        wanted = not include or any(fnmatchcase(namespace, p) for p in include)
        return wanted and not any(fnmatchcase(namespace, p) for p in exclude)

    def listings(self) -> tuple[str | None, ...]:
        """Where to list: each namespace by name, or once cluster-wide (None) for globs or all."""
        if not self.patterns or any(set(p) & set("*?[!") for p in self.patterns):
            return (None,)
        return self.patterns


def duration(name: str, text: str) -> timedelta:
    """A positive duration; ConfigError names `name`."""
    try:
        return parse_duration(text)
    except ValueError as error:
        raise ConfigError(f"{name} {error}") from error


def boolean(name: str, text: str) -> bool:
    """ "true" or "false" (any case); ConfigError names `name` otherwise."""
    if text.lower() not in ("true", "false"):
        raise ConfigError(f'{name} must be true or false; got "{text}"')
    return text.lower() == "true"


def port(name: str, text: str) -> int | None:
    """A port number (0 picks a free one), or None for "off"."""
    if text.lower() == "off":
        return None
    if not text.isdigit() or int(text) > 65535:
        raise ConfigError(
            f'{name} must be a port number (0 picks a free one) or "off"; got "{text}"'
        )
    return int(text)


def address(name: str, text: str) -> tuple[str, int]:
    """HOST:PORT, such as 0.0.0.0:9443 or [::]:9443."""
    host, _, number = text.rpartition(":")
    if not host or not number.isdigit() or int(number) > 65535:
        raise ConfigError(f'{name} must be HOST:PORT such as 0.0.0.0:9443; got "{text}"')
    return host.strip("[]"), int(number)


def budget_levels(name: str, text: str) -> Levels:
    """ "50,30,10" -> warningBelow, partialFreezeBelow, fullFreezeBelow; SpecError names `name`."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 3:
        raise SpecError.single(name, f'must be three percents like "50,30,10"; got "{text}"')
    keys = ("warningBelow", "partialFreezeBelow", "fullFreezeBelow")
    try:
        return parse_resource(Levels, dict(zip(keys, parts, strict=True)))
    except SpecError as error:
        # Field paths such as "warningBelow" mean nothing to someone who typed "50,30,10".
        message = "; ".join(problem.message for problem in error.problems)
        raise SpecError.single(name, message) from error


def alert_priorities(name: str, text: str | None) -> AlertPriorities:
    """ "fastBurn=P0,metricsAbsent=P1" -> the default priorities with those replaced (unset: the
    defaults); SpecError names `name`, as for the other rule options."""
    if not text:
        return DEFAULT_PRIORITIES
    try:
        return parse_priorities(text)
    except ValueError as error:
        raise SpecError.single(name, str(error)) from error


def runbook_links(name: str, text: str | None) -> RunbookLinks:
    """The runbook base URL every alert, Event and denial links under (unset: the shipped
    pages); SpecError names `name`, as for the other rule options."""
    if not text:
        return SHIPPED_RUNBOOKS
    try:
        return parse_runbook_base(text)
    except ValueError as error:
        raise SpecError.single(name, str(error)) from error


def names(text: str) -> tuple[str, ...]:
    """ "a, b" -> ("a", "b"): a comma-separated list of names, blanks dropped."""
    return tuple(name.strip() for name in text.split(",") if name.strip())


def levels_text(levels: Levels) -> str:
    """ "50%, 30%, 10%" for the log line that says what the rules assume."""
    parts = (levels.warning_below, levels.partial_freeze_below, levels.full_freeze_below)
    return ", ".join(f"{_plain(value)}%" for value in parts)


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"
