"""Start-up of the budget loop: its settings, the registry, /metrics, and the poller task.

`budgetwarden run` parses its flags into `PollerSettings` and puts them in the memo as
`poller_settings`; under plain `kopf run -m budgetwarden.handlers` they come from BUDGETWARDEN_*
variables. At start-up (after handlers/startup.py built the Kubernetes client)
`start_budget_loop` builds the `Registry` every handler shares (`memo.registry`), serves
/metrics, and, when a Prometheus URL is set, starts `Poller.run` as a task on kopf's loop.
Without a Prometheus URL nothing is polled: the operator then only manages rules, and says so
in its log.

An enforcement implementation plugs in by putting its `Enforcer` in the memo as `enforcer`
before start-up (or by replacing `memo.poller.enforce`); until then `keep_held` is used.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import kopf

from budgetwarden.adapters.kube import KubeError
from budgetwarden.adapters.metrics import OperatorMetrics
from budgetwarden.adapters.notify import Notifier
from budgetwarden.adapters.prometheus import PrometheusReader, PrometheusSettings
from budgetwarden.core.kernel.durations import format_duration, parse_duration
from budgetwarden.handlers.poller import Poller, keep_held
from budgetwarden.handlers.registry import Registry
from budgetwarden.handlers.reporting import Logger
from budgetwarden.handlers.startup import Collaborators

ENV_PROMETHEUS_URL = "BUDGETWARDEN_PROMETHEUS_URL"
ENV_PROMETHEUS_TOKEN_SECRET = "BUDGETWARDEN_PROMETHEUS_TOKEN_SECRET"
ENV_PROMETHEUS_CA = "BUDGETWARDEN_PROMETHEUS_CA"
ENV_POLL_INTERVAL = "BUDGETWARDEN_POLL_INTERVAL"
ENV_METRICS_PORT = "BUDGETWARDEN_METRICS_PORT"
ENV_STALE_AFTER = "BUDGETWARDEN_STALE_AFTER"
ENV_STATUS_REFRESH = "BUDGETWARDEN_STATUS_REFRESH"

DEFAULT_POLL_INTERVAL = timedelta(seconds=30)
DEFAULT_METRICS_PORT = 8080
DEFAULT_STATUS_REFRESH = timedelta(minutes=10)
# A sample older than this many polls (or rule evaluations, if those are slower) is stale.
STALE_AFTER_POLLS = 3


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
class PollerSettings:
    """How the budget loop reads Prometheus and how often; from flags, else the environment."""

    prometheus_url: str | None = None
    token_secret: SecretKey | None = None
    ca_file: str | None = None
    interval: timedelta = DEFAULT_POLL_INTERVAL
    stale_after: timedelta | None = None
    status_refresh: timedelta = DEFAULT_STATUS_REFRESH
    metrics_port: int | None = DEFAULT_METRICS_PORT

    @classmethod
    def parse(cls, env: Mapping[str, str] | None = None, **flags: str | None) -> PollerSettings:
        """Settings from flag values (prometheus_url, token_secret, ca_file, interval,
        stale_after, status_refresh, metrics_port), else BUDGETWARDEN_* variables; ValueError
        names the bad one."""
        env = os.environ if env is None else env
        names = {
            "prometheus_url": ENV_PROMETHEUS_URL,
            "token_secret": ENV_PROMETHEUS_TOKEN_SECRET,
            "ca_file": ENV_PROMETHEUS_CA,
            "interval": ENV_POLL_INTERVAL,
            "stale_after": ENV_STALE_AFTER,
            "status_refresh": ENV_STATUS_REFRESH,
            "metrics_port": ENV_METRICS_PORT,
        }
        raw = {field: flags.get(field) or env.get(var) or None for field, var in names.items()}
        return cls(**{k: _convert(k, v) for k, v in raw.items() if v is not None})

    def max_age(self, evaluation_interval: timedelta) -> timedelta:
        """How old a sample may be before it counts as missing."""
        return self.stale_after or STALE_AFTER_POLLS * max(self.interval, evaluation_interval)


def _convert(field: str, text: str) -> Any:
    """One setting from its text; ValueError names the flag."""
    try:
        if field in ("interval", "stale_after", "status_refresh"):
            return parse_duration(text)
        if field == "token_secret":
            return SecretKey.parse(text)
        if field == "metrics_port":
            return _port(text)
    except ValueError as error:
        flag = "poll-interval" if field == "interval" else field.replace("_", "-")
        raise ValueError(f"--{flag} {error}") from error
    return text


def _port(text: str) -> int | None:
    if text.lower() == "off":
        return None
    if not text.isdigit() or int(text) > 65535:
        raise ValueError(f'must be a port number (0 picks a free one) or "off"; got "{text}"')
    return int(text)


@kopf.on.startup()
async def start_budget_loop(memo: kopf.Memo, logger: Logger, **_: Any) -> None:
    """Build the registry and /metrics, and start the poller when Prometheus is configured."""
    memo.registry = Registry()
    settings: PollerSettings = memo.get("poller_settings") or PollerSettings.parse()
    metrics = OperatorMetrics()
    memo.operator_metrics = metrics
    memo.metrics_server = None
    if settings.metrics_port is not None:
        try:
            memo.metrics_server = metrics.serve(settings.metrics_port)
            logger.info("serving /metrics on port %d", memo.metrics_server.port)
        except OSError as error:  # a taken port must not stop the operator
            logger.error("cannot serve /metrics on port %d: %s", settings.metrics_port, error)
    if settings.prometheus_url is None:
        logger.warning("no Prometheus URL (--prometheus-url): error budgets are not polled")
        return
    deps: Collaborators = memo.collaborators
    poller = Poller(
        registry=memo.registry,
        kube=deps.kube,
        reader=PrometheusReader(await _prometheus(settings, deps)),
        metrics=metrics,
        notifier=Notifier(),
        interval=settings.interval,
        max_age=settings.max_age(deps.rule_options.evaluation_interval),
        status_refresh=settings.status_refresh,
        enforce=memo.get("enforcer") or keep_held,
    )
    memo.poller = poller
    memo.poller_task = asyncio.get_running_loop().create_task(poller.run(), name="budget-poller")
    logger.info(
        "polling %s every %s (samples older than %s count as missing)",
        settings.prometheus_url, format_duration(settings.interval),
        format_duration(poller.max_age),
    )  # fmt: skip


async def _prometheus(settings: PollerSettings, deps: Collaborators) -> PrometheusSettings:
    """Prometheus' address and credentials; the token is read from its Secret once."""
    token = None
    if (secret := settings.token_secret) is not None:
        try:
            token = await asyncio.to_thread(
                deps.kube.secret_value, secret.namespace, secret.name, secret.key
            )
        except KubeError as error:
            message = f"cannot read the Prometheus token: {error}"
            raise kopf.TemporaryError(message, delay=10) from error
        if not token:
            where = f"{secret.namespace}/{secret.name} key {secret.key}"
            raise kopf.TemporaryError(f"no Prometheus token in Secret {where}", delay=10)
    url = settings.prometheus_url or ""
    return PrometheusSettings(url, bearer_token=token, ca_file=settings.ca_file)


@kopf.on.cleanup()
async def stop_budget_loop(memo: kopf.Memo, **_: Any) -> None:
    """Stop the poller, let pending notifications finish briefly, close /metrics."""
    task: asyncio.Task[None] | None = memo.get("poller_task")
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    poller: Poller | None = memo.get("poller")
    if poller is not None:
        await poller.notifier.aclose()
    server = memo.get("metrics_server")
    if server is not None:
        await asyncio.to_thread(server.close)
