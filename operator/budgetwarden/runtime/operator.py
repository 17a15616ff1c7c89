"""The composition root: one `Operator` owns everything the running operator is made of.

Built once, in the one start-up hook (handlers/startup.py), from the frozen `OperatorConfig` and
the Kubernetes connection; handlers reach it through the memo (`operator_of`). It owns:
- the registry the watch handlers keep and every reader shares, and its full listings: one
  before anything is served, then one every re-list interval (runtime/relist.py);
- /metrics (`OperatorMetrics`, served on its own thread) and /readyz beside it, 503 until that
  first listing is in the registry and kopf's watches have delivered each object it found, and
  the freeze gate delivery tools ask (/gate,
  adapters/gate_http.py), answered from the same views as admission (runtime/views.py);
- the leader election (runtime/leader.py): every replica watches and serves admission from its
  own registry, only the leader polls, enforces and syncs VAP params;
- the budget loop: the Prometheus reader, the poller and its enforcer, when a Prometheus URL is
  configured (without one the operator only manages rules, and says so);
- the drift watch (the detection fallback);
- admission, by the mode the config chose: the webhook server, or VAP mode's policies and their
  params sync, or nothing.
The config's role may split one operator into two processes: `controller` runs everything but the
webhook server, `admission` only the registry (policies and exceptions: admission reads no SLO),
its listings, /readyz and the webhook server.
`start` brings them up in that order (the webhook server only after the first listing, so it
never answers from an empty registry) and may be called again after a failure (kopf retries the
start-up hook): a part already running is left as it is. `stop` ends them in reverse.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from budgetwarden.adapters.gate_http import gate_routes
from budgetwarden.adapters.kube import BuiltinObjects, Kube, KubeError, Leases
from budgetwarden.adapters.mail import Mailer
from budgetwarden.adapters.metrics import MetricsServer, OperatorMetrics
from budgetwarden.adapters.notify import Notifier
from budgetwarden.adapters.prometheus import PrometheusReader, PrometheusSettings
from budgetwarden.adapters.webhook_server import ReloadingTLS, WebhookServer
from budgetwarden.core.kernel.durations import format_duration
from budgetwarden.core.slo.rules import RuleOptions
from budgetwarden.runtime.admission import Admission, event_poster
from budgetwarden.runtime.config import OperatorConfig
from budgetwarden.runtime.drift import DriftWatch
from budgetwarden.runtime.enforcer import Enforcer
from budgetwarden.runtime.leader import Elector
from budgetwarden.runtime.poller import Poller
from budgetwarden.runtime.registry import Registry
from budgetwarden.runtime.relist import FREEZE_PLURALS, PLURALS, Relister
from budgetwarden.runtime.reporting import Logger
from budgetwarden.runtime.settings import BudgetLoopConfig, ConfigError, levels_text
from budgetwarden.runtime.vap_sync import ParamsSync, install
from budgetwarden.runtime.views import FreezeViews

log = logging.getLogger(__name__)

# How long readiness waits for kopf's watches to deliver what the first listing found (kopf took
# about 10 s to replay 1,001 policies). An object deleted between the two listings never
# arrives, so the wait must end.
CATCH_UP_SECONDS = 60.0
CATCH_UP_CHECK_SECONDS = 0.1


class StartError(Exception):
    """A part could not start for now (API server or port trouble); starting again may work."""


@dataclass
class Operator:
    """Everything one operator process runs, built from its config and connection."""

    config: OperatorConfig
    kube: Kube
    registry: Registry = field(default_factory=Registry)
    metrics: OperatorMetrics = field(default_factory=OperatorMetrics)
    metrics_server: MetricsServer | None = None
    poller: Poller | None = None
    webhook: WebhookServer | None = None
    params: ParamsSync | None = None
    elector: Elector | None = None
    listed: bool = False  # the first full listing is in the registry
    ready: bool = False  # ... and kopf's watches have delivered it too (/readyz)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    drift: DriftWatch = field(init=False)
    relister: Relister = field(init=False)
    views: FreezeViews = field(init=False)

    def __post_init__(self) -> None:
        runbooks = self.rules.runbooks  # where every Event and denial links
        self.views = FreezeViews(self.registry, runbooks)  # built in kopf's loop, as views are
        self.drift = DriftWatch(self.registry, self.kube, leading=self.leading, runbooks=runbooks)
        interval = self.config.replicas.relist_interval
        # The admission role reads no SLO: listing and parsing thousands would only cost it
        kinds = PLURALS if self.config.controls else FREEZE_PLURALS
        self.relister = Relister(self.registry, self.kube, self.config.watch, interval, kinds)

    def leading(self) -> bool:
        """Whether this replica holds the Lease (and so polls, enforces, syncs params)."""
        return self.elector is not None and self.elector.leading()

    @property
    def rules(self) -> RuleOptions:
        """The options every generated rule is built with."""
        return self.config.rules

    async def start(self, logger: Logger) -> None:
        """Start every configured part that is not running yet; StartError when one cannot."""
        controls, mode = self.config.controls, self.config.admission.mode
        if controls:
            self._say_rules(logger)
        self._serve_metrics(logger)
        if not self.listed:
            await self._first_listing(logger)
        if controls and self.elector is None:
            self._elect(logger)
        if controls and self.poller is None:
            await self._start_budget_loop(logger)
        if self.config.serves_webhook and self.webhook is None:
            await self._start_webhook(logger)
        elif controls and mode == "vap" and self.params is None:
            await self._start_vap(logger)
        elif mode == "none":
            logger.info("admission mode none: freezes are enforced by pausing workloads only")
        if not controls:
            logger.info("role admission: serving the webhook only; another process controls")

    async def stop(self) -> None:
        """Stop the tasks, let pending notifications finish briefly, close the servers."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.elector is not None:  # after the poller stopped: the next leader starts at once
            await asyncio.to_thread(self.elector.release)
        if self.poller is not None:
            await self.poller.notifier.aclose()
        if self.webhook is not None:  # with failurePolicy Ignore the API server admits alone
            await self.webhook.stop()
        if self.metrics_server is not None:
            await asyncio.to_thread(self.metrics_server.close)
        self.kube.close()

    def _say_rules(self, logger: Logger) -> None:
        rules = self.config.rules
        logger.info(
            "Rules assume a %s scrape interval, evaluate every %s, alert on budgets below %s "
            "unless an ErrorBudgetPolicy selects the SLO.",
            format_duration(rules.scrape_interval),
            format_duration(rules.evaluation_interval),
            levels_text(rules.budget_levels),
        )
        logger.info("Runbook links point under %s.", rules.runbooks.base)

    def _serve_metrics(self, logger: Logger) -> None:
        port = self.config.budget_loop.metrics_port
        if port is None or self.metrics_server is not None:
            return
        try:
            routes = gate_routes(self.views.ask)
            self.metrics_server = self.metrics.serve(port, ready=lambda: self.ready, routes=routes)
            logger.info("serving /metrics on port %d", self.metrics_server.port)
        except OSError as error:  # a taken port must not stop the operator
            logger.error("cannot serve /metrics on port %d: %s", port, error)

    async def _first_listing(self, logger: Logger) -> None:
        """List every kind into the registry before serving; then re-list every interval."""
        if self.config.watch is None:
            logger.info("watched namespaces unknown (kopf run): no listing before serving")
        else:
            try:
                counts = await self.relister.relist()
            except KubeError as error:
                raise StartError(f"cannot list SLOs, policies and exceptions: {error}") from error
            logger.info("listed %s", ", ".join(f"{n} {p}" for p, (_, n) in counts.items()))
        self.listed = True
        # Only a replay the webhook would wait behind delays readiness: that of the kinds it
        # reads. Without a webhook nothing waits; and kopf delivers each object's events in that
        # object's worker, a few hundred workers at a time, so with thousands of SLOs their
        # replay lasts as long as their handlers take at start-up, minutes.
        replayed = FREEZE_PLURALS if self.config.serves_webhook else ()
        expected = self.registry.expect_watch(replayed)  # before kopf watches
        self._run(self._catch_up(expected, logger), "watch-catch-up")
        self._run(self.relister.run(), "relist")

    async def _catch_up(self, expected: int, logger: Logger) -> None:
        """Ready once kopf's watches have delivered every policy and exception the first
        listing found (at once when this process serves no webhook: nothing was expected).

        kopf starts watching after the start-up hook and replays its own listing on the event
        loop the webhook answers on: with 1,001 policies a review arriving during that replay
        waited about 60 ms behind it. An API server sends reviews only to a ready replica (the
        Service's endpoints), so reviews reach this one after the replay, not during it.
        """
        loop = asyncio.get_running_loop()
        started = loop.time()
        while not self.registry.watch_caught_up and loop.time() - started < CATCH_UP_SECONDS:
            await asyncio.sleep(CATCH_UP_CHECK_SECONDS)
        waited = loop.time() - started
        if expected and self.registry.watch_caught_up:
            logger.info("kopf's watches delivered the %d listed objects in %.1fs", expected, waited)
        elif expected:
            logger.warning(
                "kopf's watches delivered %d of the %d listed objects in %.0fs; ready anyway (an "
                "object deleted after the listing never arrives)",
                expected - self.registry.unwatched,
                expected,
                waited,
            )
        self.ready = True

    def _elect(self, logger: Logger) -> None:
        replicas = self.config.replicas
        leases = Leases(self.kube.api_client, replicas.lease_namespace)
        identity = f"{self.kube.instance}-{secrets.token_hex(3)}"
        self.elector = Elector(leases, replicas.lease_name, identity, replicas.lease_duration)
        self._run(self.elector.run(), "leader-election")
        logger.info(
            "candidate %s for Lease %s/%s: only the leader polls and enforces",
            identity, replicas.lease_namespace, replicas.lease_name,
        )  # fmt: skip

    async def _start_budget_loop(self, logger: Logger) -> None:
        loop = self.config.budget_loop
        if loop.prometheus_url is None:
            logger.warning("no Prometheus URL (--prometheus-url): error budgets are not polled")
            return
        settings = await self._prometheus(loop)
        rules = self.config.rules
        budget_max_age = loop.budget_max_age(rules.evaluation_interval, rules.budget_interval)
        self.poller = Poller(
            registry=self.registry,
            kube=self.kube,
            reader=PrometheusReader(settings),
            metrics=self.metrics,
            notifier=Notifier(),
            interval=loop.interval,
            max_age=loop.max_age(rules.evaluation_interval),
            budget_max_age=budget_max_age,
            status_refresh=loop.status_refresh,
            enforce=Enforcer(self.kube, self.rules.runbooks),
            leading=self.leading,
            mailer=Mailer(),
            freeze_runbook=self.rules.runbooks.freeze,
        )
        self._run(self.poller.run(), "budget-poller")
        logger.info(
            "polling %s every %s (burn rates older than %s and budgets older than %s count "
            "as missing)",
            loop.prometheus_url, format_duration(loop.interval),
            format_duration(self.poller.max_age), format_duration(budget_max_age),
        )  # fmt: skip

    async def _prometheus(self, loop: BudgetLoopConfig) -> PrometheusSettings:
        """Prometheus' address and credentials; a token Secret is read once (a token file is
        re-read by the reader whenever it changes)."""
        token = None
        if (secret := loop.token_secret) is not None:
            where = f"Secret {secret.namespace}/{secret.name} key {secret.key}"
            try:
                read = self.kube.secret_value
                token = await asyncio.to_thread(read, secret.namespace, secret.name, secret.key)
            except KubeError as error:
                raise StartError(f"cannot read the Prometheus token: {error}") from error
            if not token:
                raise StartError(f"no Prometheus token in {where}")
        url = loop.prometheus_url or ""
        return PrometheusSettings(url, token, loop.ca_file, access=loop.access)

    async def _start_webhook(self, logger: Logger) -> None:
        admission, listen = self.config.admission, self.config.admission.webhook
        if listen is None:  # OperatorConfig.load refuses this; a hand-built config may not
            raise ConfigError("admission mode webhook needs a listen address")
        reviewers = Admission(
            self.registry,
            max_ttl=admission.max_ttl,
            operator_username=admission.operator_username,
            allow_service_account_approvers=admission.allow_service_account_approvers,
            status_writers=admission.status_writers,
            on_exception_used=event_poster(self.kube, self.registry, logger),
            views=self.views,
            runbooks=self.rules.runbooks,
        )
        try:
            tls = ReloadingTLS(listen.cert, listen.key, listen.client_ca)
            server = WebhookServer(reviewers.routes(), tls, listen.host, listen.port)
            await server.start()
        except (OSError, ValueError) as error:  # ssl.SSLError is an OSError
            raise StartError(f"cannot serve the admission webhook: {error}") from error
        self.webhook = server

    async def _start_vap(self, logger: Logger) -> None:
        objects = BuiltinObjects(self.kube.api_client)
        try:
            user = await install(objects, self.config.admission, logger, self.rules.runbooks)
        except KubeError as error:  # the API server refused or is unreachable
            raise StartError(f"cannot install the admission policies: {error}") from error
        runbooks = self.rules.runbooks
        self.params = ParamsSync(objects, self.registry, leading=self.leading, runbooks=runbooks)
        self._run(self.params.run(), "vap-params")
        logger.info("admission by ValidatingAdmissionPolicy; the operator is %s", user or "unknown")

    def _run(self, work: Any, name: str) -> None:
        self._tasks.append(asyncio.get_running_loop().create_task(work, name=name))
