"""`budgetwarden webhook render`: print the admission webhook configurations as YAML.

The operator serves the webhooks (see docs/admission.md) but does not register them: the
configurations are cluster-wide objects an admin applies, from this command, the Helm chart or
a GitOps repo. `--url` points the API server at a server outside the cluster (a laptop, the
test harness); `--service NS/NAME[:PORT]` at the operator's Service. `--ca` is the PEM file of
the CA that issued the serving certificate; it becomes the caBundle.

    budgetwarden webhook render --url https://127.0.0.1:9443 --ca ca.crt | kubectl apply -f -
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from budgetwarden.cli._documents import dump_all
from budgetwarden.core.freeze.webhook_config import (
    DEFAULT_TIMEOUT_SECONDS,
    ServiceRef,
    WebhookClient,
    WebhookOptions,
    configurations,
)
from budgetwarden.core.kernel import conventions as c


def service_argument(text: str) -> ServiceRef:
    """argparse type: NAMESPACE/NAME or NAMESPACE/NAME:PORT."""
    where, _, port = text.partition(":")
    namespace, _, name = where.partition("/")
    if not namespace or not name or "/" in name or (port and not port.isdigit()):
        raise argparse.ArgumentTypeError(f'must be NAMESPACE/NAME[:PORT]; got "{text}"')
    return ServiceRef(namespace, name, int(port) if port else 443)


def timeout_argument(text: str) -> int:
    """argparse type: whole seconds from 1 to 30, the range the API server accepts."""
    if not text.isdigit() or not 1 <= int(text) <= 30:
        raise argparse.ArgumentTypeError(f'must be whole seconds from 1 to 30; got "{text}"')
    return int(text)


def register(parser: argparse.ArgumentParser) -> None:
    """Add the `render` action and its flags."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    render = actions.add_parser("render", help="print the webhook configurations as YAML")
    target = render.add_mutually_exclusive_group(required=True)
    target.add_argument("--url", help="base URL of a server outside the cluster (https://...)")
    target.add_argument(
        "--service", type=service_argument, metavar="NS/NAME[:PORT]", help="in-cluster Service"
    )
    render.add_argument("--ca", required=True, metavar="FILE", help="PEM CA for the caBundle")
    render.add_argument(
        "--failure-policy",
        choices=("Ignore", "Fail"),
        default="Ignore",
        help="what the API server does when the workload webhook cannot answer (default Ignore)",
    )
    render.add_argument(
        "--timeout",
        type=timeout_argument,
        default=DEFAULT_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help=f"workload webhook timeout (default {DEFAULT_TIMEOUT_SECONDS})",
    )
    _register_identities(render)


def _register_identities(render: argparse.ArgumentParser) -> None:
    """Who the webhook lets through unjudged, and the objects' name."""
    render.add_argument(
        "--operator-username",
        default="",
        metavar="USER",
        help="the operator's user (system:serviceaccount:NS:NAME); its changes skip the webhook",
    )
    render.add_argument(
        "--rollouts-controller-user",
        action="append",
        dest="status_writers",
        metavar="USER",
        help="the Argo Rollouts controller's user, whose Rollout status writes are never judged "
        f"(repeatable; default {c.ROLLOUTS_CONTROLLER_USERNAME})",
    )
    render.add_argument(
        "--breakglass",
        action="store_true",
        help="let holders of the 'breakglass' verb on freezeexceptions skip the webhook "
        "(wildcard grants such as cluster-admin include it: see docs/admission.md)",
    )
    render.add_argument(
        "--name", default=WebhookOptions().name, help="name of the configuration objects"
    )


def run(args: argparse.Namespace) -> int:
    """Print both configurations; exit 2 when the CA file or the URL is unusable."""
    try:
        ca = Path(args.ca).read_bytes()
        if b"-----BEGIN CERTIFICATE-----" not in ca:
            raise ValueError(f"{args.ca} holds no PEM certificate")
        client = WebhookClient(ca_bundle=ca, url=args.url, service=args.service)
    except (OSError, ValueError) as error:
        print(f"budgetwarden webhook render: {error}", file=sys.stderr)
        return 2
    options = WebhookOptions(
        failure_policy=args.failure_policy,
        timeout_seconds=args.timeout,
        operator_username=args.operator_username,
        breakglass=args.breakglass,
        status_writers=tuple(args.status_writers or WebhookOptions().status_writers),
        name=args.name,
    )
    sys.stdout.write(dump_all(configurations(client, options)))
    return 0
