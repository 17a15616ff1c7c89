"""`budgetwarden run`: start the operator (kopf) against the cluster your kubeconfig names.

Credentials come from $KUBECONFIG or ~/.kube/config, else the in-cluster service account. The
rule options (the scrape and evaluation intervals the generated rules assume, the budget-low
alert thresholds) come from flags, else BUDGETWARDEN_* variables, else the defaults, and are
checked before anything starts. So are the budget loop's settings (Prometheus, poll interval,
/metrics port), from flags or BUDGETWARDEN_* variables (handlers/poller_startup.py).
"""

from __future__ import annotations

import argparse
import sys

import kopf

import budgetwarden.handlers  # noqa: F401 - importing registers the handlers with kopf
from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.handlers import poller_startup as poller
from budgetwarden.handlers import startup
from budgetwarden.handlers import vap as admission_policy  # registers VAP mode's handlers


def register(parser: argparse.ArgumentParser) -> None:
    """Add the flags of `budgetwarden run`."""
    scope = parser.add_mutually_exclusive_group(required=True)
    scope.add_argument(
        "-n",
        "--namespace",
        dest="namespaces",
        action="append",
        metavar="NS",
        help="watch this namespace (repeat for more; globs such as 'team-*' work)",
    )
    scope.add_argument("-A", "--all-namespaces", action="store_true", help="watch every namespace")
    parser.add_argument(
        "--liveness",
        metavar="URL",
        help="serve a liveness probe, e.g. http://0.0.0.0:8080/healthz",
    )
    parser.add_argument(
        "--peering",
        metavar="NAME",
        help="coordinate replicas through this KopfPeering object (default: standalone)",
    )
    parser.add_argument(
        "--scrape-interval",
        metavar="DURATION",
        help=f"Prometheus' scrape interval (${startup.ENV_SCRAPE_INTERVAL}; default 30s)",
    )
    parser.add_argument(
        "--evaluation-interval",
        metavar="DURATION",
        help=f"interval of the generated rule groups (${startup.ENV_EVALUATION_INTERVAL}; "
        "default 30s)",
    )
    parser.add_argument(
        "--budget-levels",
        metavar="W,P,F",
        help="budget-low alert thresholds in percent: warning, partial and full freeze "
        f"(${startup.ENV_BUDGET_LEVELS}; default 50,30,10)",
    )
    budget_loop_flags(parser)
    parser.add_argument(
        "--admission-mode",
        choices=admission_policy.MODES,
        help="enforce freezes with the admission webhook or with ValidatingAdmissionPolicies "
        f"(${admission_policy.ENV_ADMISSION_MODE}; default webhook; docs/admission-vap.md)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")


def budget_loop_flags(parser: argparse.ArgumentParser) -> None:
    """Flags of the budget loop (docs/operations.md); each also has a BUDGETWARDEN_* variable."""
    loop = parser.add_argument_group("error budget polling")
    for flag, metavar, variable, text in (
        ("--prometheus-url", "URL", poller.ENV_PROMETHEUS_URL,
         "Prometheus to read budgets from (default: none, budgets are not polled)"),
        ("--prometheus-token-secret", "NS/NAME/KEY", poller.ENV_PROMETHEUS_TOKEN_SECRET,
         "Secret key holding a bearer token for Prometheus"),
        ("--prometheus-ca", "FILE", poller.ENV_PROMETHEUS_CA, "CA of an https:// Prometheus"),
        ("--poll-interval", "DURATION", poller.ENV_POLL_INTERVAL, "poll interval (default 30s)"),
        ("--metrics-port", "PORT", poller.ENV_METRICS_PORT,
         "port of the operator's /metrics; 0 picks one, off disables (default 8080)"),
        ("--stale-after", "DURATION", poller.ENV_STALE_AFTER,
         "samples older than this count as missing (default 3 poll/evaluation intervals)"),
        ("--status-refresh", "DURATION", poller.ENV_STATUS_REFRESH,
         "rewrite an unchanged SLO status at least this often (default 10m)"),
    ):  # fmt: skip
        loop.add_argument(flag, metavar=metavar, help=f"{text} (${variable})")


def run(args: argparse.Namespace) -> int:
    """Run the operator until SIGINT or SIGTERM."""
    try:
        options = startup.rule_options(
            args.scrape_interval, args.evaluation_interval, args.budget_levels
        )
        settings = poller.PollerSettings.parse(
            prometheus_url=args.prometheus_url,
            token_secret=args.prometheus_token_secret,
            ca_file=args.prometheus_ca,
            interval=args.poll_interval,
            metrics_port=args.metrics_port,
            stale_after=args.stale_after,
            status_refresh=args.status_refresh,
        )
    except (SpecError, ValueError) as error:
        print(f"budgetwarden run: {error}", file=sys.stderr)
        return 2
    kopf.configure(verbose=args.verbose)
    kopf.run(
        clusterwide=args.all_namespaces,
        namespaces=args.namespaces or (),
        standalone=args.peering is None,
        peering_name=args.peering,
        liveness_endpoint=args.liveness,
        memo=kopf.Memo(
            rule_options=options, poller_settings=settings, admission_mode=args.admission_mode
        ),
    )
    return 0
