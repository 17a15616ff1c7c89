"""The parts of the operator's configuration, each parsed from text once and then frozen.

`runtime/config.py` assembles them into one `OperatorConfig`. Every parser takes the text of a
flag or variable and raises `ConfigError` naming that flag or variable, so a typo stops the
operator before it starts, with one line that says what to fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal

from budgetwarden.adapters.prometheus_access import (
    PrometheusAccess,
    PrometheusSettings,
    PrometheusSettingsError,
    check,
)
from budgetwarden.core.freeze.exception_admission import DEFAULT_MAX_TTL
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.durations import parse_duration
from budgetwarden.core.kernel.errors import BudgetwardenError, SpecError
from budgetwarden.core.kernel.levels import Levels
from budgetwarden.core.kernel.model import parse_resource
from budgetwarden.core.kernel.runbooks import SHIPPED_RUNBOOKS, RunbookLinks, parse_runbook_base
from budgetwarden.core.slo.priorities import DEFAULT_PRIORITIES, AlertPriorities, parse_priorities
from budgetwarden.core.slo.rule_object import parse_pairs

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
    access: PrometheusAccess = field(default_factory=PrometheusAccess)  # token file, basic auth
    interval: timedelta = DEFAULT_POLL_INTERVAL
    stale_after: timedelta | None = None
    status_refresh: timedelta = DEFAULT_STATUS_REFRESH
    metrics_port: int | None = DEFAULT_METRICS_PORT

    def max_age(self, evaluation_interval: timedelta) -> timedelta:
        """How old a sample may be before it counts as missing."""
        return self.stale_after or STALE_AFTER_POLLS * max(self.interval, evaluation_interval)

    def budget_max_age(
        self, evaluation_interval: timedelta, budget_interval: timedelta
    ) -> timedelta:
        """How old the budget left may be: its rule group evaluates every `budget_interval`."""
        if self.stale_after:
            return self.stale_after + budget_interval - evaluation_interval
        return self.max_age(budget_interval)


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


def prometheus_access(
    env: Mapping[str, str],
    variables: Mapping[str, str],
    ca: tuple[str, str] | None,
    token_secret: tuple[str, str] | None,
) -> PrometheusAccess:
    """The Prometheus reader's token file, basic auth and client certificate from `variables`
    (PrometheusAccess field -> variable), checked now with the CA and the token Secret, each a
    (name, text) setting: files readable, pairs complete, one kind of credentials, TLS files
    loadable. ConfigError names the variable or flag."""
    texts = {field: env.get(variable) or None for field, variable in variables.items()}
    names = {**variables, "ca_file": ca[0] if ca else "the CA"}
    skip = texts.get("insecure_skip_verify")
    access = PrometheusAccess(
        token_file=texts.get("token_file"),
        basic_auth_username=texts.get("basic_auth_username"),
        basic_auth_password_file=texts.get("basic_auth_password_file"),
        cert_file=texts.get("cert_file"),
        key_file=texts.get("key_file"),
        insecure_skip_verify=boolean(names["insecure_skip_verify"], skip) if skip else False,
    )
    settings = PrometheusSettings("", ca_file=ca[1] if ca else None, access=access)
    try:
        check(settings, names, token_source=token_secret[0] if token_secret else None)
    except PrometheusSettingsError as error:
        raise ConfigError(str(error)) from error
    return access


def admission_mode(name: str, text: str) -> AdmissionMode:
    """webhook, vap or none; ConfigError names `name` otherwise."""
    for mode in ADMISSION_MODES:
        if text == mode:
            return mode
    raise ConfigError(f'{name} must be webhook, vap or none; got "{text}"')


def role(name: str, text: str) -> Role:
    """all, controller or admission; ConfigError names `name` otherwise."""
    chosen = next((r for r in ROLES if r == text), None)
    if chosen is None:
        raise ConfigError(f'{name} must be all, controller or admission; got "{text}"')
    return chosen


def failure_policy(name: str, text: str) -> FailurePolicy:
    """Ignore or Fail; ConfigError names `name` otherwise."""
    if text not in ("Ignore", "Fail"):
        raise ConfigError(f'{name} must be Ignore or Fail; got "{text}"')
    return "Fail" if text == "Fail" else "Ignore"


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


def rule_pairs(name: str, text: str | None, *, labels: bool) -> tuple[tuple[str, str], ...]:
    """ "release=kps,team=payments" -> the PrometheusRule labels (or annotations) every SLO's
    rule gets (unset: none); SpecError names `name`, as for the other rule options."""
    if not text:
        return ()
    try:
        return parse_pairs(text, labels=labels)
    except ValueError as error:
        raise SpecError.single(name, str(error)) from error


RULE_EVALUATORS = ("prometheus", "vmalert")


def chained_records(name: str, text: str | None) -> bool:
    """Whether the rules may read what an earlier rule of their group recorded: yes for
    "prometheus" (Prometheus, Thanos Ruler; the default), no for "vmalert", which persists its
    records asynchronously. SpecError names `name` for anything else."""
    evaluator = (text or RULE_EVALUATORS[0]).strip()
    if evaluator not in RULE_EVALUATORS:
        choices = " or ".join(RULE_EVALUATORS)
        raise SpecError.single(name, f"{evaluator!r} is not a rule evaluator: use {choices}")
    return evaluator != "vmalert"


def names(text: str) -> tuple[str, ...]:
    """ "a, b" -> ("a", "b"): a comma-separated list of names, blanks dropped."""
    return tuple(name.strip() for name in text.split(",") if name.strip())


def levels_text(levels: Levels) -> str:
    """ "50%, 30%, 10%" for the log line that says what the rules assume."""
    parts = (levels.warning_below, levels.partial_freeze_below, levels.full_freeze_below)
    return ", ".join(f"{_plain(value)}%" for value in parts)


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"
