"""`budgetwarden drill SCENARIO`: inject an incident into the demo service and watch what on-call
would see: the alerts firing (with priority and runbook), who Alertmanager told, the budget and
the freeze; then restore the service and print a debrief (time to detect per alert, what stayed
silent, what paged that should not have). `budgetwarden drill --list` names the drills.

`fast-burn` is the whole loop: it also shows the freeze, a denied `kubectl apply`, the
FreezeException that lets it through and the thaw, and with a controller running the Rollout a
canary held by the freeze. Exit codes: 0 the drill passed, 1 a step or an expected alert missed
its time (or something else paged), 2 the drill could not start, 130 interrupted. Defaults come
from the exports of `budgetwarden demo up`; docs/drills.md describes each drill.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from budgetwarden_dev.demo.drill import DrillOptions
    from budgetwarden_dev.demo.observe import Watcher
    from budgetwarden_dev.demo.timeline import Timeline

HELP = "inject an incident into the demo service and watch the alerts, the paging and the freeze"

# kept here (not imported from the scenarios) so that `--help` stays cheap
DRILLS = ("fast-burn", "high-error-rate", "latency-spike", "traffic-surge", "resource-exhaustion",
          "service-outage")  # fmt: skip


def _share(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal(-1)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f'must be a share above 0 and at most 1 such as "0.1"; '
                                         f'got "{text}"')  # fmt: skip
    return value


def register(parser: argparse.ArgumentParser) -> None:
    """Add the drill name and its options."""
    env = os.environ.get
    parser.add_argument("drill", nargs="?", choices=DRILLS, help="which drill to run")
    _register_what(parser)
    parser.add_argument(
        "--kubeconfig",
        type=Path,
        default=env("KUBECONFIG"),
        help="cluster to drill on (default: $KUBECONFIG)",
    )
    parser.add_argument(
        "-n",
        "--namespace",
        default=env("BUDGETWARDEN_DEMO_NAMESPACE", "demo"),
        help="namespace of the SLO and policy (default: demo)",
    )
    parser.add_argument("--slo", default="checkout-availability", help="SLO to burn")
    parser.add_argument("--policy", default="payments", help="ErrorBudgetPolicy to watch")
    parser.add_argument(
        "--prometheus-url",
        default=env("BUDGETWARDEN_PROMETHEUS_URL"),
        help="Prometheus that evaluates the SLO's rules (default: $BUDGETWARDEN_PROMETHEUS_URL)",
    )
    parser.add_argument(
        "--demo-url",
        default=env("BUDGETWARDEN_DEMO_URL"),
        help="the demo service the SLO measures (default: $BUDGETWARDEN_DEMO_URL)",
    )
    parser.add_argument(
        "--receiver-url",
        default=env("BUDGETWARDEN_DEMO_RECEIVER_URL"),
        help="the receiver Alertmanager delivers to (`budgetwarden demo-receiver`), to print who"
        " got which alert (default: $BUDGETWARDEN_DEMO_RECEIVER_URL; none: not shown)",
    )
    _register_how(parser)


def _register_what(parser: argparse.ArgumentParser) -> None:
    """Listing, confirming, and where the incident is written down."""
    parser.add_argument("--list", action="store_true", help="name each drill and what it expects")
    parser.add_argument("--yes", action="store_true",
                        help="do not ask before a drill that stops the service")  # fmt: skip
    parser.add_argument(
        "--record", type=Path, metavar="FILE",
        default=os.environ.get("BUDGETWARDEN_DEMO_INCIDENTS"),
        help="append the drill's incident window to this file, for `budgetwarden report alerts"
        " --incidents` (default: $BUDGETWARDEN_DEMO_INCIDENTS; none: not written)",
    )  # fmt: skip


def _register_how(parser: argparse.ArgumentParser) -> None:
    """How hard the drill burns and what it tries during the freeze."""
    parser.add_argument(
        "--error-rate",
        type=_share,
        default=Decimal("0.1"),
        metavar="SHARE",
        help='share of requests to fail during the drill (default "0.1")',
    )
    parser.add_argument("--skip-admission", action="store_true",
                        help="try no kubectl apply or promote during the freeze")  # fmt: skip
    parser.add_argument(
        "--argo-rollouts-plugin", type=Path, metavar="PATH",
        default=os.environ.get("BUDGETWARDEN_ARGO_ROLLOUTS_PLUGIN")
        or shutil.which("kubectl-argo-rollouts"),
        help="the kubectl-argo-rollouts binary, to show and drive a Rollout a controller runs"
        " (default: $BUDGETWARDEN_ARGO_ROLLOUTS_PLUGIN, else kubectl-argo-rollouts on PATH)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Run the drill: 0 passed, 1 failed, 2 could not start, 130 interrupted."""
    if args.list:
        return _list()
    if args.drill is None:
        print("budgetwarden drill: name a drill (`budgetwarden drill --list` shows them)",
              file=sys.stderr)  # fmt: skip
        return 2
    missing = [flag for flag, value in (("--kubeconfig", args.kubeconfig),
               ("--prometheus-url", args.prometheus_url), ("--demo-url", args.demo_url))
               if not value]  # fmt: skip
    if missing:
        print(f"budgetwarden drill: set {', '.join(missing)} (or run `eval \"$(budgetwarden demo "
              "up)\"` first)", file=sys.stderr)  # fmt: skip
        return 2
    if not _confirmed(args):
        return 2
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    from budgetwarden.core.kernel.errors import BudgetwardenError
    from budgetwarden_dev.demo.drill import DrillError, StepFailed
    from budgetwarden_dev.demo.observe import Watcher
    from budgetwarden_dev.demo.timeline import Timeline
    from budgetwarden_dev.devenv.errors import DevEnvError
    from budgetwarden_dev.devenv.kubeconfig import Kubectl

    watcher = Watcher(Kubectl(args.kubeconfig), args.prometheus_url, args.namespace, args.slo,
                      args.policy)  # fmt: skip
    timeline = Timeline()
    try:
        return 0 if _drill(args, watcher, timeline) else 1
    except StepFailed as failed:
        timeline.line(f"✗ drill failed: {failed}")
        return 1
    except (DrillError, DevEnvError, BudgetwardenError) as error:
        print(f"budgetwarden drill: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        timeline.line("interrupted; the demo service's settings were restored")
        return 130
    finally:
        watcher.close()


def _drill(args: argparse.Namespace, watcher: Watcher, timeline: Timeline) -> bool:
    """Run the named drill; whether it passed (the whole loop raises StepFailed instead)."""
    from budgetwarden_dev.demo.drill import run_drill
    from budgetwarden_dev.demo.scenario_drill import ScenarioOptions, run_scenario
    from budgetwarden_dev.demo.scenarios import FULL_LOOP, SCENARIOS

    if args.drill == FULL_LOOP:
        run_drill(watcher, _options(args), timeline)
        return True
    options = ScenarioOptions(args.demo_url, args.receiver_url or None, args.record)
    return run_scenario(watcher, SCENARIOS[args.drill], options, timeline)


def _list() -> int:
    from budgetwarden_dev.demo.scenarios import SCENARIOS

    for name in DRILLS:
        scenario = SCENARIOS[name]
        expects = ", ".join(f"{e.alert} ({e.about or 'any'}) within {e.within.seconds}s"
                            for e in scenario.expects) or "no page"  # fmt: skip
        print(f"{name}: {scenario.summary}\n    expects: {expects}")
    return 0


def _confirmed(args: argparse.Namespace) -> bool:
    """Whether a drill that asks first may go on: --yes, or "yes" typed at a terminal."""
    from budgetwarden_dev.demo.scenarios import SCENARIOS

    question = SCENARIOS[args.drill].confirm
    if not question or args.yes:
        return True
    if not sys.stdin.isatty():
        print(f"budgetwarden drill: {args.drill}: {question}; pass --yes to go ahead",
              file=sys.stderr)  # fmt: skip
        return False
    answer = input(f"{args.drill}: {question}. Type yes to go ahead: ")
    if answer.strip().lower() != "yes":
        print("budgetwarden drill: not confirmed; nothing was changed", file=sys.stderr)
        return False
    return True


def _options(args: argparse.Namespace) -> DrillOptions:
    """What to drill on and how hard, from the command line."""
    from budgetwarden_dev.demo.drill import DrillOptions
    from budgetwarden_dev.demo.drill_canary import Plugin

    plugin = args.argo_rollouts_plugin
    return DrillOptions(
        args.error_rate, args.demo_url, admission=not args.skip_admission,
        plugin=Plugin(plugin, args.kubeconfig, args.namespace) if plugin else None,
        receiver_url=args.receiver_url or None,
        record=args.record,
    )  # fmt: skip
