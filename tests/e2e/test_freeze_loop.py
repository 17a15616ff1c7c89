"""The whole loop, for real: errors in a service freeze its deployments and the freeze lets go.

The demo service serves traffic; a real Prometheus with a backfilled healthy day (so the 1d
budget is computed over a full window) scrapes it every second; `budgetwarden rules-sync` and
`budgetwarden run` run as subprocesses against the real API server; demo/manifests/ is applied.
Raising the demo service's error rate to 20 % (burn rate 200) fires the policy's burn-rate
ladder (2m/10s above 14.4x, 28.8x, 57.6x), so the levels come in order within a minute, and
after the errors stop the freeze ends only once the policy's minimum hold (30s) has passed.
Waits are polls with generous deadlines; no assertion is about how long anything took.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.slo.spec import parse_slo
from budgetwarden_dev.demo import components as parts
from budgetwarden_dev.demo.history import History, backfill
from budgetwarden_dev.demo.process import DemoServiceProcess
from budgetwarden_dev.demo.stack import demo_history, example_files, rule_options
from budgetwarden_dev.devenv import processes
from budgetwarden_dev.devenv.cluster import Cluster
from budgetwarden_dev.devenv.prometheus import PrometheusProcess
from operator_support import events, get

pytestmark = [pytest.mark.e2e, pytest.mark.cluster]

POLICY, ROLLOUT, WORKER, HUMAN = "payments", "checkout", "checkout-worker", "checkout-batch"
LEVELS = ("Normal", "Warning", "PartialFreeze", "FullFreeze")
FREEZES = LEVELS[2:]
TARGETS = (("rollout", ROLLOUT), ("deployment", WORKER))
HOLD_SECONDS = 30  # demo/manifests/03-policy.yaml
SETTINGS = parts.LoopSettings(status_refresh="2s")
# A Deployment the policy targets that someone paused by hand before any freeze.
PAUSED_BY_HAND: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": HUMAN, "labels": {"app": "checkout-worker"}},
    "spec": {
        "paused": True,
        "selector": {"matchLabels": {"app": HUMAN}},
        "template": {
            "metadata": {"labels": {"app": HUMAN}},
            "spec": {"containers": [{"name": "batch", "image": "registry.example/batch:2.0.0"}]},
        },
    },
}


@dataclass
class Loop:
    """The running loop in one namespace, and what the test has seen of the policy."""

    cluster: Cluster
    namespace: str
    workdir: Path
    demo: DemoServiceProcess
    prometheus: PrometheusProcess
    operator: parts.Child
    seen: list[tuple[str, str]] = field(default_factory=list)  # (level, since), in order

    def restart_operator(self) -> None:
        """SIGKILL the operator, as a node failure would, and start a new one."""
        self.operator.kill()
        self.operator = start_operator(self.cluster, self.namespace, self.prometheus, self.workdir)

    def policy(self) -> dict[str, Any]:
        """The policy now; each new (level, since) is appended to `seen`."""
        policy: dict[str, Any] = get(self.cluster, c.PLURAL_POLICY, POLICY, self.namespace) or {}
        status = policy.get("status") or {}
        moment = (status.get("level", ""), status.get("since", ""))
        if moment[0] and (not self.seen or self.seen[-1] != moment):
            self.seen.append(moment)
        return policy

    def workload(self, kind: str, name: str) -> dict[str, Any]:
        """A workload as the API shows it."""
        found = get(self.cluster, kind, name, self.namespace)
        assert found is not None, f"{kind} {name} is gone"
        return found

    def until(self, what: str, probe: Callable[[], Any], timeout: float = 120) -> Any:
        """Poll the policy and `probe` until the probe is truthy; fail with the operator's log."""
        deadline = time.monotonic() + timeout
        while True:
            self.policy()
            if value := probe():
                return value
            if time.monotonic() > deadline:
                log = processes.log_tail(self.operator.proc.log, 30)
                raise AssertionError(f"gave up waiting for {what}; seen {self.seen}\n{log}")
            time.sleep(0.25)

    def level(self) -> str:
        """The policy's level now."""
        return str((self.policy().get("status") or {}).get("level", ""))


def start_operator(
    cluster: Cluster, namespace: str, prometheus: PrometheusProcess, workdir: Path
) -> parts.Child:
    """`budgetwarden run` for the namespace, polling Prometheus every second."""
    return parts.start_operator(
        cluster.kubeconfig, prometheus.url, namespace, workdir / "operator.log", settings=SETTINGS
    )


@pytest.fixture
def loop(
    cluster: Cluster, namespace: str, tmp_path: Path, prometheus_factory: Any
) -> Iterator[Loop]:
    """Demo service, Prometheus with a healthy day behind it, rules-sync, operator, examples."""
    docs = parts.manifests(example_files(), namespace)
    slos = [parse_slo(d) for d in docs if d["kind"] == c.KIND_SLO]
    with DemoServiceProcess(error_rate="0", latency="10ms", load_rps=20) as demo:
        history: History = demo_history(slos[0], demo.url, 20)
        workdir = tmp_path / "prometheus"
        backfill(workdir / "data", history, slos, rule_options(SETTINGS), tmp_path / "backfill")
        prometheus = prometheus_factory(
            tmp_path / "rules", [parts.scrape_config(demo.url, SETTINGS.scrape_interval)],
            workdir=workdir, evaluation_interval="1s", scrape_interval="1s",
        )  # fmt: skip
        sync = parts.start_rules_sync(
            cluster.kubeconfig, prometheus.url, prometheus.rules_dir, namespace,
            tmp_path / "rules-sync.log",
        )  # fmt: skip
        operator = start_operator(cluster, namespace, prometheus, tmp_path)
        loop = Loop(cluster, namespace, tmp_path, demo, prometheus, operator)
        try:
            parts.apply(cluster.kubectl, [d for d in docs if d["kind"] != "Namespace"])
            parts.apply(cluster.kubectl, [{**PAUSED_BY_HAND, "metadata": {
                **PAUSED_BY_HAND["metadata"], "namespace": namespace}}])  # fmt: skip
            loop.until("the policy to start at Normal", lambda: loop.level() == "Normal")
            del loop.seen[:-1]  # an Unknown before the first budget reading is not the drill's
            yield loop
        finally:
            loop.operator.stop()
            sync.stop()
            prometheus.stop()


def paused_by(workload: dict[str, Any]) -> str | None:
    """The workload's paused-by annotation."""
    value = (workload["metadata"].get("annotations") or {}).get(c.ANNOTATION_PAUSED_BY)
    return None if value is None else str(value)


def held(loop: Loop) -> dict[str, tuple[bool, str | None]]:
    """spec.paused and paused-by of the policy's two targets."""
    found = {}
    for kind, name in TARGETS:
        workload = loop.workload(kind, name)
        found[name] = (bool(workload["spec"].get("paused")), paused_by(workload))
    return found


def burn_until_full_freeze(loop: Loop) -> dict[str, Any]:
    """20 % errors until the policy is at FullFreeze with both targets paused; its status."""
    loop.demo.set(error_rate="0.2")
    loop.until(
        "FullFreeze with the Rollout and the Deployment paused by budgetwarden",
        lambda: loop.level() == "FullFreeze" and all(by for _, by in held(loop).values()),
    )
    return dict(loop.policy()["status"])


def test_errors_freeze_in_order_and_only_the_hold_delays_the_thaw(loop: Loop) -> None:
    status = burn_until_full_freeze(loop)
    assert [level for level, _ in loop.seen] == list(LEVELS)
    freeze = status["freezeId"]
    for kind, name in TARGETS:
        workload = loop.workload(kind, name)
        annotations = workload["metadata"]["annotations"]
        assert workload["spec"]["paused"] is True
        assert annotations[c.ANNOTATION_PAUSED_BY] == f"budgetwarden/{POLICY}/{freeze}"
        assert annotations[c.ANNOTATION_FREEZE_ID] == freeze
        assert annotations[c.ANNOTATION_POLICY] == POLICY
        assert annotations[c.ANNOTATION_FREEZE_LEVEL] in FREEZES
    assert by_hand(loop) == (True, None)

    loop.demo.set(error_rate="0")
    loop.until("the freeze to end", lambda: loop.level() not in FREEZES, timeout=180)
    loop.until("the targets to be resumed", lambda: not any(p for p, _ in held(loop).values()))
    downs = [
        (before, after)
        for before, after in zip(loop.seen, loop.seen[1:], strict=False)
        if LEVELS.index(after[0]) < LEVELS.index(before[0])
    ]
    assert downs, loop.seen
    for (_, began), (level, left) in downs:
        lasted = instant(left) - instant(began)
        assert lasted.total_seconds() >= HOLD_SECONDS, f"{level} after {lasted}: {loop.seen}"
    assert by_hand(loop) == (True, None)
    for name in (ROLLOUT, WORKER):
        assert pauses_and_resumes(loop, name) == (1, 1)
    assert pauses_and_resumes(loop, HUMAN) == (0, 0)


def test_a_killed_operator_and_a_stopped_prometheus_keep_the_freeze(loop: Loop) -> None:
    status = burn_until_full_freeze(loop)
    before = held(loop)

    restarted = datetime.now(UTC)
    loop.restart_operator()
    loop.until("the restarted operator to poll", lambda: evaluated_after(loop, restarted))
    after = loop.policy()["status"]
    assert (after["level"], after["freezeId"]) == ("FullFreeze", status["freezeId"])
    assert held(loop) == before
    for name in (ROLLOUT, WORKER):
        assert pauses_and_resumes(loop, name) == (1, 0)

    loop.demo.set(error_rate="0")
    assert loop.prometheus.process is not None
    processes.stop(loop.prometheus.process)  # the process only: its data stays for the restart
    condition = loop.until("MetricsAvailable=False", lambda: metrics_condition(loop, "False"))
    assert condition["reason"] == c.REASON_PROMETHEUS_UNAVAILABLE, condition
    since = instant(loop.policy()["status"]["since"])
    loop.until(
        "the minimum hold to pass while Prometheus is down",
        lambda: (datetime.now(UTC) - since).total_seconds() > HOLD_SECONDS + 5,
    )
    holding = loop.policy()["status"]
    assert (holding["level"], holding["freezeId"]) == ("FullFreeze", status["freezeId"])
    assert holding["reason"].startswith("Holding FullFreeze: metrics unavailable since")
    assert held(loop) == before

    loop.prometheus.start()
    loop.until("MetricsAvailable=True", lambda: metrics_condition(loop, "True"))
    loop.until("the thaw once evaluation resumes", lambda: loop.level() not in FREEZES)
    loop.until("the targets to be resumed", lambda: not any(p for p, _ in held(loop).values()))


def by_hand(loop: Loop) -> tuple[bool, str | None]:
    """spec.paused and paused-by of the Deployment paused by hand."""
    workload = loop.workload("deployment", HUMAN)
    return bool(workload["spec"].get("paused")), paused_by(workload)


def pauses_and_resumes(loop: Loop, name: str) -> tuple[int, int]:
    """How many Paused and Resumed Events the workload has."""
    reasons = [reason for _, reason in events(loop.cluster, loop.namespace, name)]
    return reasons.count(c.EVENT_PAUSED), reasons.count(c.EVENT_RESUMED)


def instant(text: str) -> datetime:
    """An RFC 3339 timestamp from status."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def metrics_condition(loop: Loop, wanted: str) -> dict[str, Any] | None:
    """The policy's MetricsAvailable condition when its status is `wanted`."""
    for entry in (loop.policy().get("status") or {}).get("conditions") or []:
        if entry["type"] == c.CONDITION_METRICS_AVAILABLE and entry["status"] == wanted:
            return dict(entry)
    return None


def evaluated_after(loop: Loop, moment: datetime) -> bool:
    """Whether the SLO's status was evaluated after `moment`."""
    slo = get(loop.cluster, c.PLURAL_SLO, "checkout-availability", loop.namespace) or {}
    stamp = ((slo.get("status") or {}).get("errorBudget") or {}).get("evaluatedAt")
    return isinstance(stamp, str) and instant(stamp) > moment
