"""Freeze reaction: a budget crosses the FullFreeze threshold -> the freeze is in force.

Runs the local control plane, Prometheus scraping a synthetic budget target every second, and
`budgetwarden run` polling every 2 s with its admission webhook on. The target (this module run
as `python -m bench.reaction --serve PORT`, a separate process) exposes the recorded series the
generated rules would produce (budget remaining and burn rates, with honor_labels, and without
the target's job and instance, as a rule's output), with values set over HTTP, so the instant
the budget crosses the threshold is known to the millisecond.

Each repetition uses a fresh namespace holding examples/01's SLO, examples/05's policy (full
freeze below 10 %) and a Rollout it targets. With 90 % of the budget left the policy settles at
Normal; then, at a random point of the poll cycle, the budget is set to 5 %. Watches time when
the policy's status says FullFreeze and when the Rollout's spec.paused turns true; a new-image
AdmissionReview sent to the webhook every 10 ms times when denials start. The bound the design
sets is one poll interval + one scrape interval + 2 s.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from bench._stack import OperatorProcess, Watcher, child, control_plane, custom_api, stop
from bench.admission_latency import new_image, post
from bench.report import print_table
from budgetwarden.core.kernel import conventions as c
from budgetwarden_dev.devenv import ControlPlane, PrometheusProcess
from budgetwarden_dev.devenv.binaries import repo_root
from budgetwarden_dev.devenv.certs import write_serving_cert
from budgetwarden_dev.devenv.processes import free_port

REPETITIONS = 10
POLL_SECONDS, SCRAPE_SECONDS = 2, 1
BOUND = POLL_SECONDS + SCRAPE_SECONDS + 2  # seconds: the design's target
SLO_NAME, SERVICE = "checkout-availability", "checkout"
BURN_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
HEALTHY, SPENT = "0.9", "0.05"  # budget remaining: Normal, then below fullFreezeBelow (10 %)
DEADLINE = 60.0  # seconds any one wait may take
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# --- the synthetic budget target ---------------------------------------------------------------
def serve(port: int) -> None:
    """Expose each namespace's budget series; POST /set?namespace=NS&remaining=R changes one."""
    budgets: dict[str, str] = {}

    class Target(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            lines = []
            for namespace, remaining in sorted(budgets.items()):
                labels = (f'{c.PROM_LABEL_SLO}="{SLO_NAME}",{c.PROM_LABEL_NAMESPACE}="{namespace}",'
                          f'{c.PROM_LABEL_SERVICE}="{SERVICE}"')  # fmt: skip
                lines.append(f"{c.METRIC_BUDGET_REMAINING}{{{labels}}} {remaining}")
                lines.extend(
                    f'{c.METRIC_BURN_RATE}{{{labels},{c.PROM_LABEL_WINDOW}="{w}"}} 1'
                    for w in BURN_WINDOWS
                )
            self._answer("\n".join(lines) + "\n")

        def do_POST(self) -> None:
            query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            budgets[query["namespace"][0]] = query["remaining"][0]
            self._answer("ok\n")

        def _answer(self, text: str) -> None:
            body = text.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Target).serve_forever()


def set_budget(port: int, namespace: str, remaining: str) -> None:
    """Change what the target exposes for one namespace's SLO."""
    query = urllib.parse.urlencode({"namespace": namespace, "remaining": remaining})
    request = urllib.request.Request(f"http://127.0.0.1:{port}/set?{query}", method="POST")
    with _OPENER.open(request, timeout=5):
        pass


# --- one repetition ----------------------------------------------------------------------------
def resources(namespace: str) -> list[dict[str, Any]]:
    """examples/01's SLO, examples/05's policy and a Rollout the policy targets."""
    examples = repo_root() / "examples"
    found = [yaml.safe_load((examples / name).read_text())
             for name in ("01-availability-ratio.yaml", "05-policy.yaml")]  # fmt: skip
    labels = {"app": "checkout"}
    container = {"name": "checkout", "image": "shop/checkout:1.4.2"}
    found.append({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "checkout", "labels": labels},
        "spec": {"replicas": 3, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}}},
    })  # fmt: skip
    for resource in found:
        resource["metadata"]["namespace"] = namespace
    return found


def level_is(level: str) -> Any:
    """A predicate on a policy: status.level is `level`."""
    return lambda obj: (obj.get("status") or {}).get("level") == level


@dataclass(frozen=True)
class Stack:
    """What a repetition talks to."""

    plane: ControlPlane
    api: Any
    operator: OperatorProcess
    target_port: int
    webhook: str  # the URL of the workload admission route
    ca: Path

    def denies(self, review: dict[str, Any]) -> bool:
        """Whether the webhook denies `review` right now."""
        return post(self.webhook, self.ca, review)["response"]["allowed"] is False


def wait(what: str, probe: Any, operator: OperatorProcess) -> None:
    """Poll `probe` every 10 ms until true; fail at DEADLINE or if the operator exits."""
    deadline = time.monotonic() + DEADLINE
    while not probe():
        if operator.process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what}:\n{operator.tail()}")
        time.sleep(0.01)


def settle(stack: Stack, namespace: str) -> tuple[Watcher, Watcher, dict[str, Any]]:
    """A namespace at Normal; watches for FullFreeze and the pause; the new-image review."""
    stack.plane.kubectl("create", "namespace", namespace)
    set_budget(stack.target_port, namespace, HEALTHY)
    found = resources(namespace)
    for resource in found:
        stack.plane.kubectl("apply", "-f", "-", input=json.dumps(resource))
    policies = (c.GROUP, c.VERSION, c.PLURAL_POLICY)
    normal = Watcher(stack.api, policies, namespace, level_is("Normal"))
    wait("the policy at Normal", lambda: normal.times, stack.operator)
    normal.stop()
    frozen = Watcher(stack.api, policies, namespace, level_is("FullFreeze"))
    rollouts = ("argoproj.io", "v1alpha1", "rollouts")
    paused = Watcher(stack.api, rollouts, namespace, lambda obj: obj["spec"].get("paused") is True)
    wait("the watches", lambda: frozen.events and paused.events, stack.operator)
    probe = new_image(found[-1])
    if paused.times or stack.denies(probe):
        raise SystemExit("the Rollout was held before the budget was spent")
    return frozen, paused, probe


def repetition(stack: Stack, index: int, delay: float) -> tuple[float, float, float]:
    """Settle at Normal, spend the budget; seconds until FullFreeze in status, until the
    webhook denies a new image, and until the Rollout is paused."""
    frozen, paused, probe = settle(stack, f"reaction-{index}")
    # The wait for Normal ended just after a poll; spend the budget at a random point of the
    # poll cycle instead, as a real budget would.
    time.sleep(delay)
    flipped = time.monotonic()
    set_budget(stack.target_port, f"reaction-{index}", SPENT)
    denied: list[float] = []

    def done() -> bool:
        if not denied and stack.denies(probe):
            denied.append(time.monotonic())
        return bool(denied and paused.times and frozen.times)

    wait("the freeze", done, stack.operator)
    frozen.stop()
    paused.stop()
    return (frozen.times["payments"] - flipped, denied[0] - flipped,
            paused.times["checkout"] - flipped)  # fmt: skip


def run(plane: ControlPlane, folder: Path, port: int, scrape: dict[str, Any]) -> list[Any]:
    """Prometheus and the operator (webhook on) for the repetitions; their results."""
    certs = write_serving_cert(folder / "certs")
    webhook = free_port()
    env = {"BUDGETWARDEN_WEBHOOK_ADDRESS": f"127.0.0.1:{webhook}", "BUDGETWARDEN_WEBHOOK_CERT":
           str(certs.cert), "BUDGETWARDEN_WEBHOOK_KEY": str(certs.key)}  # fmt: skip
    with PrometheusProcess(folder / "rules", [scrape]) as prometheus:
        args = ["--all-namespaces", "--prometheus-url", prometheus.url,
                "--poll-interval", f"{POLL_SECONDS}s", "--metrics-port", "0"]  # fmt: skip
        operator = OperatorProcess(plane.kubeconfig, args, folder / "operator.log", env)
        try:
            url = f"https://127.0.0.1:{webhook}{c.PATH_VALIDATE_WORKLOADS}"
            stack = Stack(plane, custom_api(plane), operator, port, url, certs.ca)
            wait("the webhook", lambda: serving(url, certs.ca), operator)
            phases = random.Random(7)
            return [repetition(stack, i, phases.uniform(0, POLL_SECONDS))
                    for i in range(REPETITIONS)]  # fmt: skip
        finally:
            operator.stop()


def serving(url: str, ca: Path) -> bool:
    """Whether the webhook answers yet."""
    try:
        post(url, ca, {"request": {"uid": "probe"}})
    except OSError:
        return False
    return True


def main() -> int:
    """Start everything, repeat, print the table."""
    port = free_port()
    target = child([sys.executable, "-m", "bench.reaction", "--serve", str(port)])
    # The poller reads only series labelled exactly as the rules label them: drop the target's
    # job and instance, which no rule output has.
    relabel = [{"action": "labeldrop", "regex": "job|instance"}]
    scrape = {"job_name": "budgets", "honor_labels": True, "scrape_interval": f"{SCRAPE_SECONDS}s",
              "static_configs": [{"targets": [f"127.0.0.1:{port}"]}],
              "metric_relabel_configs": relabel}  # fmt: skip
    try:
        with tempfile.TemporaryDirectory(prefix="bench-reaction-") as tmp, control_plane() as plane:
            results = run(plane, Path(tmp), port, scrape)
    finally:
        stop(target)
    names = ("policy status at FullFreeze (watch)", "webhook denies a new image (probed)",
             "Rollout spec.paused true (watch)")  # fmt: skip
    print_table(
        f"Budget spent -> freeze in force, {REPETITIONS} times: poll every {POLL_SECONDS}s, "
        f"scrape every {SCRAPE_SECONDS}s, bound = poll + scrape + 2 s = {BOUND} s",
        ["seconds from the budget crossing", "median", "min", "max", "within bound"],
        [row(name, [r[i] for r in results]) for i, name in enumerate(names)],
    )
    return 0


def row(name: str, seconds: list[float]) -> list[str]:
    """One table row of reaction times."""
    within = sum(s <= BOUND for s in seconds)
    return [name, f"{statistics.median(seconds):.2f} s", f"{min(seconds):.2f} s",
            f"{max(seconds):.2f} s", f"{within}/{len(seconds)}"]  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", type=int, metavar="PORT", help="be the synthetic target")
    options = parser.parse_args()
    if options.serve:
        serve(options.serve)
    sys.exit(main())
