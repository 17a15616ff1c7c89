"""`budgetwarden run`: start the operator (kopf) against the cluster your kubeconfig names.

Credentials come from $KUBECONFIG or ~/.kube/config, else the in-cluster service account. Every
setting has a flag and a BUDGETWARDEN_* variable (runtime/config.py); the flags are parsed into
one `OperatorConfig` and checked before anything starts, then handed to the start-up hook
through kopf's memo, so `budgetwarden run` and `kopf run -m budgetwarden.handlers` start the
same operator.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

import kopf

import budgetwarden.handlers  # noqa: F401 - importing registers the handlers with kopf
from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.handlers.startup import ADMISSION_ROLE
from budgetwarden.runtime import config as cfg
from budgetwarden.runtime.settings import ADMISSION_MODES, ROLES, ConfigError, WatchScope

# (flag, metavar, help) of the settings; each flag's variable is in cfg.FLAG_VARIABLES.
RULE_FLAGS = (
    ("--scrape-interval", "DURATION", "Prometheus' scrape interval (default 30s)"),
    ("--evaluation-interval", "DURATION", "interval of the generated rule groups (default 30s)"),
    ("--budget-levels", "W,P,F", "budget-low alert thresholds in percent (warning, partial "
     "and full freeze) of SLOs no ErrorBudgetPolicy selects (default 50,30,10)"),
)  # fmt: skip
# Alerts (generated rules), Events and denials (both roles) all link under this base.
LINK_FLAGS = (
    ("--runbook-base-url", "URL", "where every runbook link points: the runbooks/ folder of "
     "your copy, or a URL with {page} for a wiki (default: the shipped pages on GitHub)"),
)  # fmt: skip
LOOP_FLAGS = (
    ("--prometheus-url", "URL", "Prometheus to read budgets from (default: none, not polled)"),
    ("--prometheus-token-secret", "NS/NAME/KEY", "Secret key holding a bearer token"),
    ("--prometheus-ca", "FILE", "CA of an https:// Prometheus"),
    ("--poll-interval", "DURATION", "poll interval (default 30s)"),
    ("--metrics-port", "PORT", "port of /metrics; 0 picks one, off disables (default 8080)"),
    ("--stale-after", "DURATION", "samples older than this count as missing "
     "(default 3 poll/evaluation intervals)"),
    ("--status-refresh", "DURATION", "rewrite an unchanged SLO status at least this often "
     "(default 10m)"),
)  # fmt: skip


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
        "--liveness", metavar="URL", help="serve a liveness probe, e.g. http://0.0.0.0:8080/healthz"
    )
    parser.add_argument("--peering", metavar="NAME",
                        help="pause all but one operator through this KopfPeering object; not "
                        "needed for replicas, which elect a leader on a Lease "
                        "(default: standalone)")  # fmt: skip
    _settings(parser.add_argument_group("generated rules"), RULE_FLAGS)
    _settings(parser.add_argument_group("runbook links"), LINK_FLAGS)
    _settings(parser.add_argument_group("error budget polling"), LOOP_FLAGS)
    parser.add_argument("--admission-mode", choices=ADMISSION_MODES,
                        help="enforce freezes with the admission webhook, with "
                        "ValidatingAdmissionPolicies, or not at admission (default: webhook when "
                        f"${cfg.ENV_WEBHOOK_ADDRESS} is set, else none; docs/admission-vap.md) "
                        f"(${cfg.ENV_ADMISSION_MODE})")  # fmt: skip
    parser.add_argument("--role", choices=ROLES,
                        help="all (default); controller: everything but the webhook server; "
                        "admission: only the webhook server, from its own watches "
                        f"(docs/operations.md) (${cfg.ENV_ROLE})")  # fmt: skip
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")


def _settings(group: argparse._ArgumentGroup, flags: tuple[tuple[str, str, str], ...]) -> None:
    for flag, metavar, text in flags:
        variable = cfg.FLAG_VARIABLES[flag.removeprefix("--").replace("-", "_")]
        group.add_argument(flag, metavar=metavar, help=f"{text} (${variable})")


def run(args: argparse.Namespace) -> int:
    """Run the operator until SIGINT or SIGTERM."""
    flags = {name: getattr(args, name, None) for name in cfg.FLAG_VARIABLES}
    try:
        config = cfg.OperatorConfig.load(**flags)
        config = replace(config, watch=WatchScope(tuple(args.namespaces or ())))
    except (ConfigError, SpecError) as error:
        print(f"budgetwarden run: {error}", file=sys.stderr)
        return 2
    kopf.configure(verbose=args.verbose)
    kopf.run(
        clusterwide=args.all_namespaces,
        namespaces=args.namespaces or (),
        standalone=args.peering is None,
        peering_name=args.peering,
        liveness_endpoint=args.liveness,
        memo=kopf.Memo(config=config),
        registry=None if config.controls else ADMISSION_ROLE,  # None: every handler
    )
    return 0
