"""`OperatorConfig`: everything the operator is told, read once from flags and BUDGETWARDEN_*.

`budgetwarden run` passes its flags to `OperatorConfig.load`; under `kopf run -m
budgetwarden.handlers` there are no flags and the start-up hook calls `load()` with the
environment alone. Either way a flag wins over its variable, a variable over the default, and
the result is frozen before anything starts: the same configuration gives the same operator.

The admission mode is chosen here: `webhook` (serve the admission webhook; needs its address,
certificate and key), `vap` (install ValidatingAdmissionPolicies, no server) or `none`. Without
an explicit mode it is `webhook` when a webhook address is set, else `none`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Final

from budgetwarden.adapters.kube.builtin import IN_CLUSTER_NAMESPACE
from budgetwarden.core.kernel.durations import parse_duration
from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.core.slo.rules import RuleOptions
from budgetwarden.runtime import settings as s
from budgetwarden.runtime.settings import (
    AdmissionConfig,
    BudgetLoopConfig,
    ConfigError,
    ReplicaConfig,
    Role,
    SecretKey,
    WatchScope,
    WebhookListen,
)

# Every variable the operator reads; the Helm chart sets them (tests check that it sets only these).
ENV_SCRAPE_INTERVAL: Final = "BUDGETWARDEN_SCRAPE_INTERVAL"
ENV_EVALUATION_INTERVAL: Final = "BUDGETWARDEN_EVALUATION_INTERVAL"
ENV_BUDGET_LEVELS: Final = "BUDGETWARDEN_BUDGET_LEVELS"
ENV_ALERT_PRIORITIES: Final = "BUDGETWARDEN_ALERT_PRIORITIES"
ENV_RUNBOOK_BASE_URL: Final = "BUDGETWARDEN_RUNBOOK_BASE_URL"
ENV_RULE_LABELS: Final = "BUDGETWARDEN_RULE_LABELS"
ENV_RULE_ANNOTATIONS: Final = "BUDGETWARDEN_RULE_ANNOTATIONS"
ENV_RULE_EVALUATOR: Final = "BUDGETWARDEN_RULE_EVALUATOR"
ENV_PROMETHEUS_URL: Final = "BUDGETWARDEN_PROMETHEUS_URL"
ENV_PROMETHEUS_TOKEN_SECRET: Final = "BUDGETWARDEN_PROMETHEUS_TOKEN_SECRET"
ENV_PROMETHEUS_CA: Final = "BUDGETWARDEN_PROMETHEUS_CA"
ENV_PROMETHEUS_TOKEN_FILE: Final = "BUDGETWARDEN_PROMETHEUS_TOKEN_FILE"
ENV_PROMETHEUS_BASIC_AUTH_USERNAME: Final = "BUDGETWARDEN_PROMETHEUS_BASIC_AUTH_USERNAME"
ENV_PROMETHEUS_BASIC_AUTH_PASSWORD_FILE: Final = "BUDGETWARDEN_PROMETHEUS_BASIC_AUTH_PASSWORD_FILE"
ENV_PROMETHEUS_CERT_FILE: Final = "BUDGETWARDEN_PROMETHEUS_CERT_FILE"
ENV_PROMETHEUS_KEY_FILE: Final = "BUDGETWARDEN_PROMETHEUS_KEY_FILE"
ENV_PROMETHEUS_INSECURE_SKIP_VERIFY: Final = "BUDGETWARDEN_PROMETHEUS_INSECURE_SKIP_VERIFY"
ENV_POLL_INTERVAL: Final = "BUDGETWARDEN_POLL_INTERVAL"
ENV_METRICS_PORT: Final = "BUDGETWARDEN_METRICS_PORT"
ENV_STALE_AFTER: Final = "BUDGETWARDEN_STALE_AFTER"
ENV_STATUS_REFRESH: Final = "BUDGETWARDEN_STATUS_REFRESH"
ENV_ADMISSION_MODE: Final = "BUDGETWARDEN_ADMISSION_MODE"
ENV_WEBHOOK_ADDRESS: Final = "BUDGETWARDEN_WEBHOOK_ADDRESS"
ENV_WEBHOOK_CERT: Final = "BUDGETWARDEN_WEBHOOK_CERT"
ENV_WEBHOOK_KEY: Final = "BUDGETWARDEN_WEBHOOK_KEY"
ENV_WEBHOOK_CLIENT_CA: Final = "BUDGETWARDEN_WEBHOOK_CLIENT_CA"
ENV_EXCEPTION_MAX_TTL: Final = "BUDGETWARDEN_EXCEPTION_MAX_TTL"
ENV_OPERATOR_USERNAME: Final = "BUDGETWARDEN_OPERATOR_USERNAME"
ENV_VAP_FAILURE_POLICY: Final = "BUDGETWARDEN_VAP_FAILURE_POLICY"
ENV_ALLOW_SERVICE_ACCOUNT_APPROVERS: Final = "BUDGETWARDEN_ALLOW_SERVICE_ACCOUNT_APPROVERS"
ENV_LEASE_NAMESPACE: Final = "BUDGETWARDEN_LEASE_NAMESPACE"
ENV_LEASE_NAME: Final = "BUDGETWARDEN_LEASE_NAME"
ENV_LEASE_DURATION: Final = "BUDGETWARDEN_LEASE_DURATION"
ENV_RELIST_INTERVAL: Final = "BUDGETWARDEN_RELIST_INTERVAL"
ENV_ROLE: Final = "BUDGETWARDEN_ROLE"
ENV_ROLLOUTS_CONTROLLER_USERS: Final = "BUDGETWARDEN_ROLLOUTS_CONTROLLER_USERS"
MIN_LEASE_DURATION = timedelta(seconds=3)

# flag destination in `budgetwarden run` -> the variable it overrides
FLAG_VARIABLES: Final = {
    "scrape_interval": ENV_SCRAPE_INTERVAL,
    "evaluation_interval": ENV_EVALUATION_INTERVAL,
    "budget_levels": ENV_BUDGET_LEVELS,
    "runbook_base_url": ENV_RUNBOOK_BASE_URL,
    "prometheus_url": ENV_PROMETHEUS_URL,
    "prometheus_token_secret": ENV_PROMETHEUS_TOKEN_SECRET,
    "prometheus_ca": ENV_PROMETHEUS_CA,
    "poll_interval": ENV_POLL_INTERVAL,
    "metrics_port": ENV_METRICS_PORT,
    "stale_after": ENV_STALE_AFTER,
    "status_refresh": ENV_STATUS_REFRESH,
    "admission_mode": ENV_ADMISSION_MODE,
    "role": ENV_ROLE,
}
# PrometheusAccess field -> its variable (no flags: the chart mounts these files from a Secret)
PROMETHEUS_ACCESS_VARIABLES: Final = {
    "token_file": ENV_PROMETHEUS_TOKEN_FILE,
    "basic_auth_username": ENV_PROMETHEUS_BASIC_AUTH_USERNAME,
    "basic_auth_password_file": ENV_PROMETHEUS_BASIC_AUTH_PASSWORD_FILE,
    "cert_file": ENV_PROMETHEUS_CERT_FILE,
    "key_file": ENV_PROMETHEUS_KEY_FILE,
    "insecure_skip_verify": ENV_PROMETHEUS_INSECURE_SKIP_VERIFY,
}


@dataclass(frozen=True)
class OperatorConfig:
    """The operator's whole configuration: rules, budget loop, admission, replicas, and the
    namespaces it watches (None when only kopf knows them: `kopf run -m budgetwarden.handlers`;
    `budgetwarden run` sets them from its -n/-A flags)."""

    rules: RuleOptions = field(default_factory=RuleOptions)
    budget_loop: BudgetLoopConfig = field(default_factory=BudgetLoopConfig)
    admission: AdmissionConfig = field(default_factory=AdmissionConfig)
    replicas: ReplicaConfig = field(default_factory=ReplicaConfig)
    watch: WatchScope | None = None
    role: Role = "all"

    @property
    def controls(self) -> bool:
        """Whether this process reconciles, polls and enforces (every role but admission)."""
        return self.role != "admission"

    @property
    def serves_webhook(self) -> bool:
        """Whether this process serves the admission webhook."""
        return self.admission.mode == "webhook" and self.role != "controller"

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **flags: str | None) -> OperatorConfig:
        """Flags (named as in FLAG_VARIABLES) over BUDGETWARDEN_* variables over defaults.

        Raises ConfigError (or SpecError for bad rule options) naming the flag or variable.
        """
        values = _Values(os.environ if env is None else env, flags)
        role = s.role(*chosen) if (chosen := values.get("role")) else "all"
        admission = _admission(values, role)
        return cls(
            rules=rule_options(
                values.flag("scrape_interval"),
                values.flag("evaluation_interval"),
                values.flag("budget_levels"),
                values.flag("runbook_base_url"),
                env=values.env,
            ),
            budget_loop=_budget_loop(values),
            admission=admission,
            replicas=_replicas(values),
            role=role,
        )


@dataclass(frozen=True)
class _Values:
    env: Mapping[str, str]
    flags: Mapping[str, str | None]

    def flag(self, name: str) -> str | None:
        return self.flags.get(name) or None

    def get(self, name: str) -> tuple[str, str] | None:
        """(what to call it in an error, its text) from the flag, else its variable."""
        if text := self.flag(name):
            return f"--{name.replace('_', '-')}", text
        variable = FLAG_VARIABLES[name]
        return (variable, text) if (text := self.env.get(variable)) else None

    def variable(self, name: str) -> tuple[str, str] | None:
        return (name, text) if (text := self.env.get(name)) else None


def rule_options(
    scrape_interval: str | None = None,
    evaluation_interval: str | None = None,
    budget_levels: str | None = None,
    runbook_base_url: str | None = None,
    env: Mapping[str, str] | None = None,
) -> RuleOptions:
    """RuleOptions from explicit values, else BUDGETWARDEN_* variables, else the defaults;
    SpecError names the variable (a bad duration, level or priority) or the flag (a bad URL)."""
    env = os.environ if env is None else env
    defaults = RuleOptions()
    scrape = scrape_interval or env.get(ENV_SCRAPE_INTERVAL)
    evaluation = evaluation_interval or env.get(ENV_EVALUATION_INTERVAL)
    levels = budget_levels or env.get(ENV_BUDGET_LEVELS)
    base = runbook_base_url or env.get(ENV_RUNBOOK_BASE_URL)
    base_source = "--runbook-base-url" if runbook_base_url else ENV_RUNBOOK_BASE_URL
    return RuleOptions(
        scrape_interval=_rule_duration(ENV_SCRAPE_INTERVAL, scrape) or defaults.scrape_interval,
        evaluation_interval=_rule_duration(ENV_EVALUATION_INTERVAL, evaluation)
        or defaults.evaluation_interval,
        budget_levels=s.budget_levels(ENV_BUDGET_LEVELS, levels)
        if levels
        else defaults.budget_levels,
        alert_priorities=s.alert_priorities(ENV_ALERT_PRIORITIES, env.get(ENV_ALERT_PRIORITIES)),
        runbooks=s.runbook_links(base_source, base),
        rule_labels=s.rule_pairs(ENV_RULE_LABELS, env.get(ENV_RULE_LABELS), labels=True),
        rule_annotations=s.rule_pairs(
            ENV_RULE_ANNOTATIONS, env.get(ENV_RULE_ANNOTATIONS), labels=False
        ),
        chained_records=s.chained_records(ENV_RULE_EVALUATOR, env.get(ENV_RULE_EVALUATOR)),
    )


def _rule_duration(name: str, text: str | None) -> timedelta | None:
    if not text:
        return None
    try:
        return parse_duration(text)
    except ValueError as error:
        raise SpecError.single(name, str(error)) from error


def _budget_loop(values: _Values) -> BudgetLoopConfig:
    defaults = BudgetLoopConfig()
    url, secret, ca = (
        values.get(n) for n in ("prometheus_url", "prometheus_token_secret", "prometheus_ca")
    )
    interval, stale, refresh, port = (
        values.get(n) for n in ("poll_interval", "stale_after", "status_refresh", "metrics_port")
    )
    return BudgetLoopConfig(
        prometheus_url=url[1] if url else None,
        token_secret=_secret(*secret) if secret else None,
        ca_file=ca[1] if ca else None,
        access=s.prometheus_access(values.env, PROMETHEUS_ACCESS_VARIABLES, ca, secret),
        interval=s.duration(*interval) if interval else defaults.interval,
        stale_after=s.duration(*stale) if stale else None,
        status_refresh=s.duration(*refresh) if refresh else defaults.status_refresh,
        metrics_port=s.port(*port) if port else defaults.metrics_port,
    )


def _secret(name: str, text: str) -> SecretKey:
    try:
        return SecretKey.parse(text)
    except ValueError as error:
        raise ConfigError(f"{name} {error}") from error


def _replicas(values: _Values) -> ReplicaConfig:
    """The Lease (in the operator's own namespace unless told) and the re-list interval."""
    defaults = ReplicaConfig()
    duration, relist = values.variable(ENV_LEASE_DURATION), values.variable(ENV_RELIST_INTERVAL)
    lease_duration = s.duration(*duration) if duration else defaults.lease_duration
    if lease_duration < MIN_LEASE_DURATION:
        raise ConfigError(f"{ENV_LEASE_DURATION} must be at least 3s")
    return ReplicaConfig(
        lease_namespace=values.env.get(ENV_LEASE_NAMESPACE) or _own_namespace(),
        lease_name=values.env.get(ENV_LEASE_NAME) or defaults.lease_name,
        lease_duration=lease_duration,
        relist_interval=s.duration(*relist) if relist else defaults.relist_interval,
    )


def _own_namespace() -> str:
    """The namespace the operator runs in (its service account's), else "default"."""
    try:
        return IN_CLUSTER_NAMESPACE.read_text().strip() or "default"
    except OSError:
        return "default"


def _admission(values: _Values, role: Role) -> AdmissionConfig:
    listen = _webhook_listen(values)
    chosen = values.get("admission_mode")
    mode = s.admission_mode(*chosen) if chosen else ("webhook" if listen is not None else "none")
    if role == "admission" and mode != "webhook":
        where = (values.get("role") or (ENV_ROLE, ""))[0]  # the flag, else the variable
        raise ConfigError(f"{where} admission serves the webhook: it needs admission mode webhook")
    if mode == "webhook" and listen is None and role != "controller":
        raise ConfigError(
            f"admission mode webhook needs {ENV_WEBHOOK_ADDRESS}, {ENV_WEBHOOK_CERT} and "
            f"{ENV_WEBHOOK_KEY}; or choose --admission-mode vap or none"
        )
    ttl = values.variable(ENV_EXCEPTION_MAX_TTL)
    failure = values.variable(ENV_VAP_FAILURE_POLICY)
    accounts = values.variable(ENV_ALLOW_SERVICE_ACCOUNT_APPROVERS)
    writers = values.env.get(ENV_ROLLOUTS_CONTROLLER_USERS)  # unset: upstream's ServiceAccount
    return AdmissionConfig(
        mode=mode,
        webhook=listen,
        max_ttl=s.duration(*ttl) if ttl else AdmissionConfig().max_ttl,
        operator_username=values.env.get(ENV_OPERATOR_USERNAME, ""),
        vap_failure_policy=s.failure_policy(*failure) if failure else "Ignore",
        allow_service_account_approvers=s.boolean(*accounts) if accounts else False,
        status_writers=AdmissionConfig().status_writers if writers is None else s.names(writers),
    )


def _webhook_listen(values: _Values) -> WebhookListen | None:
    where = values.variable(ENV_WEBHOOK_ADDRESS)
    if where is None:
        return None
    host, port = s.address(*where)
    cert, key = values.env.get(ENV_WEBHOOK_CERT), values.env.get(ENV_WEBHOOK_KEY)
    if not cert or not key:
        raise ConfigError(f"{ENV_WEBHOOK_ADDRESS} needs {ENV_WEBHOOK_CERT} and {ENV_WEBHOOK_KEY}")
    client_ca = values.env.get(ENV_WEBHOOK_CLIENT_CA)
    return WebhookListen(host, port, Path(cert), Path(key), Path(client_ca) if client_ca else None)
