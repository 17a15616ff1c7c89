"""`budgetwarden drill high-error-rate`: burn error budget for real and watch the freeze happen.

Raises the demo service's error rate, prints a timeline (the fast-burn alert, `kubectl get slo`,
the policy's levels, the paused workloads, a denied `kubectl apply` and the FreezeException that
lets it through), restores the service and waits for the thaw. When a controller runs the
Rollout, it also ships a canary, shows `kubectl argo rollouts get rollout` as the freeze holds it,
tries a `promote --full` that must be denied, and promotes the canary to the end after the
thaw. Exit codes: 0 every step
happened, 1 a step missed its deadline, 2 the drill could not start. Defaults come from the
exports of `budgetwarden demo up`; docs/demo.md walks through a run.
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

HELP = "burn error budget for real and watch the freeze happen"

DRILLS = ("high-error-rate",)


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
    parser.add_argument("drill", choices=DRILLS, help="which drill to run")
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
    """Run the drill; 0 when every step happened, 1 when one did not, 2 when it cannot start."""
    from budgetwarden.core.kernel.errors import BudgetwardenError
    from budgetwarden_dev.demo.drill import DrillError, StepFailed, run_drill
    from budgetwarden_dev.demo.observe import Watcher
    from budgetwarden_dev.demo.timeline import Timeline
    from budgetwarden_dev.devenv.errors import DevEnvError
    from budgetwarden_dev.devenv.kubeconfig import Kubectl

    missing = [flag for flag, value in (("--kubeconfig", args.kubeconfig),
               ("--prometheus-url", args.prometheus_url), ("--demo-url", args.demo_url))
               if not value]  # fmt: skip
    if missing:
        print(f"budgetwarden drill: set {', '.join(missing)} (or run `eval \"$(budgetwarden demo "
              "up)\"` first)", file=sys.stderr)  # fmt: skip
        return 2
    watcher = Watcher(Kubectl(args.kubeconfig), args.prometheus_url, args.namespace, args.slo,
                      args.policy)  # fmt: skip
    timeline = Timeline()
    try:
        run_drill(watcher, _options(args), timeline)
    except StepFailed as failed:
        timeline.line(f"✗ drill failed: {failed}")
        return 1
    except (DrillError, DevEnvError, BudgetwardenError) as error:
        print(f"budgetwarden drill: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        timeline.line("interrupted; the error rate was restored")
        return 130
    finally:
        watcher.close()
    return 0


def _options(args: argparse.Namespace) -> DrillOptions:
    """What to drill on and how hard, from the command line."""
    from budgetwarden_dev.demo.drill import DrillOptions
    from budgetwarden_dev.demo.drill_canary import Plugin

    plugin = args.argo_rollouts_plugin
    return DrillOptions(
        args.error_rate, args.demo_url, admission=not args.skip_admission,
        plugin=Plugin(plugin, args.kubeconfig, args.namespace) if plugin else None,
        receiver_url=args.receiver_url or None,
    )  # fmt: skip
