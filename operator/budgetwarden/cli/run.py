"""`budgetwarden run`: start the operator (kopf) against the cluster your kubeconfig names.

Credentials come from $KUBECONFIG or ~/.kube/config, else the in-cluster service account. The
rule options (the scrape and evaluation intervals the generated rules assume, the budget-low
alert thresholds) come from flags, else BUDGETWARDEN_* variables, else the defaults, and are
checked before anything starts.
"""

from __future__ import annotations

import argparse
import sys

import kopf

import budgetwarden.handlers  # noqa: F401 - importing registers the handlers with kopf
from budgetwarden.core.errors import SpecError
from budgetwarden.handlers import startup


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
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")


def run(args: argparse.Namespace) -> int:
    """Run the operator until SIGINT or SIGTERM."""
    try:
        options = startup.rule_options(
            args.scrape_interval, args.evaluation_interval, args.budget_levels
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
        memo=kopf.Memo(rule_options=options),
    )
    return 0
