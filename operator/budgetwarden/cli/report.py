"""`budgetwarden report alerts`: how well the alerts served, from Prometheus' own history.

Reads `ALERTS` over `--since` up to `--until` and the alerting rules Prometheus has loaded
(adapters/prometheus_history.py), and prints the review core/report computes: per alert its
fires, firing time, median and p90 time to resolve and flapping; the loaded alerts that never
fired; pages per SLO per week; alerts without a usable runbook; and, with `--incidents`, each
alert's precision and recall against known incidents. docs/alert-review.md explains each number.

Exit status: 0 the report; 1 Prometheus cannot be read, has not loaded the generated rules, or
holds no alert in the period; 2 usage, or an incidents file that cannot be read or used.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from budgetwarden.adapters.prometheus_access import (
    PrometheusAccess,
    PrometheusSettings,
    PrometheusSettingsError,
    check,
)
from budgetwarden.adapters.prometheus_history import PrometheusHistory, PrometheusHistoryError
from budgetwarden.core.kernel import conventions as names
from budgetwarden.core.kernel.durations import format_duration, parse_duration
from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.core.kernel.wire import format_time
from budgetwarden.core.report.incidents import Incidents, parse_incidents
from budgetwarden.core.report.intervals import period_step
from budgetwarden.core.report.model import LoadedRule, Period
from budgetwarden.core.report.render import as_markdown, as_table
from budgetwarden.core.report.render_json import as_json
from budgetwarden.core.report.review import review
from budgetwarden.core.report.thresholds import MAX_PERIOD

PROG = "budgetwarden report alerts"
ENV_URL = "BUDGETWARDEN_PROMETHEUS_URL"
ENV_CA = "BUDGETWARDEN_PROMETHEUS_CA"
MIN_PERIOD = timedelta(hours=1)
# setting (a PrometheusSettings field) -> its flag, named in errors
FLAG_NAMES = {
    "token_file": "--token-file",
    "basic_auth_username": "--basic-auth-username",
    "basic_auth_password_file": "--basic-auth-password-file",
    "cert_file": "--cert-file",
    "key_file": "--key-file",
    "insecure_skip_verify": "--insecure-skip-verify",
    "ca_file": "--ca-file",
}
RENDERERS = {"table": as_table, "markdown": as_markdown, "json": as_json}
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _TextTimes(yaml.SafeLoader):
    """YAML with times left as written, so that a time without a zone is quoted back as such."""


_TextTimes.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class Usage(Exception):
    """A problem with the command's input: exit 2."""


class NotReviewable(Exception):
    """A problem with what Prometheus holds: exit 1."""


def since_argument(text: str) -> timedelta:
    """argparse type: the period's length, such as 30d, from 1h up to MAX_PERIOD."""
    try:
        since = parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    if not MIN_PERIOD <= since <= MAX_PERIOD:
        shortest, longest = format_duration(MIN_PERIOD), format_duration(MAX_PERIOD)
        raise argparse.ArgumentTypeError(f'must be from {shortest} to {longest}; got "{text}"')
    return since


def until_argument(text: str) -> datetime:
    """argparse type: an RFC 3339 time with a zone, such as 2026-12-01T00:00:00Z."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f'must be a time with a zone such as "2026-12-01T00:00:00Z"; got "{text}"'
        )
    return moment.astimezone(UTC)


def register(parser: argparse.ArgumentParser) -> None:
    """Arguments of `budgetwarden report`."""
    parser.add_argument("what", choices=["alerts"], help="what to report on: alerts")
    parser.add_argument("--since", type=since_argument, default=timedelta(days=30),
                        metavar="DURATION", help="length of the period reviewed (30d)")  # fmt: skip
    parser.add_argument("--until", type=until_argument, metavar="TIME",
                        help="end of the period, RFC 3339 (default: now)")  # fmt: skip
    parser.add_argument("--prometheus-url", default=os.environ.get(ENV_URL), metavar="URL",
                        help=f"the Prometheus evaluating the rules (${ENV_URL})")  # fmt: skip
    parser.add_argument("--token-file", metavar="FILE",
                        help="a bearer token for Prometheus, re-read when it changes")  # fmt: skip
    parser.add_argument("--basic-auth-username", metavar="NAME",
                        help="basic auth, with --basic-auth-password-file")  # fmt: skip
    parser.add_argument("--basic-auth-password-file", metavar="FILE", help="its password")
    parser.add_argument("--ca-file", default=os.environ.get(ENV_CA), metavar="FILE",
                        help=f"CA bundle for an https Prometheus (default: ${ENV_CA})")  # fmt: skip
    parser.add_argument("--cert-file", metavar="FILE",
                        help="client certificate for mutual TLS (with --key-file)")  # fmt: skip
    parser.add_argument("--key-file", metavar="FILE", help="the client certificate's key")
    parser.add_argument("--insecure-skip-verify", action="store_true",
                        help="do not verify Prometheus' certificate (tests only)")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                        help="per request (30)")  # fmt: skip
    parser.add_argument("--format", choices=list(RENDERERS), default="table",
                        help="output format (table)")  # fmt: skip
    parser.add_argument("--incidents", metavar="FILE",
                        help="known incidents (YAML or JSON) for precision and recall")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Print the review; exit 0, 1 (Prometheus problems) or 2 (usage, the incidents file)."""
    try:
        text = _report(args)
    except Usage as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2
    except (NotReviewable, PrometheusHistoryError) as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 1
    sys.stdout.write(text)
    return 0


def _report(args: argparse.Namespace) -> str:
    """Read the inputs, compute the review (pure), render it."""
    incidents = read_incidents(args.incidents) if args.incidents else None
    until = args.until or datetime.now(UTC).replace(microsecond=0)
    with PrometheusHistory(_settings(args)) as history:
        rules = history.alerting_rules()
        _check_generated(rules, history.url)
        evaluation = max((rule.interval for rule in rules), default=timedelta())
        step = period_step(args.since, evaluation)
        period = Period(until - args.since, until, step)
        series = history.firing_series(period)
    if not series:
        raise NotReviewable(
            f"no alert fired from {format_time(period.start)} to {format_time(period.end)} "
            f"(ALERTS holds no firing sample in Prometheus at {history.url}): check the URL, "
            f"--since and --until, and the retention"
        )
    return RENDERERS[args.format](review(period, series, rules, incidents))


def _settings(args: argparse.Namespace) -> PrometheusSettings:
    if not args.prometheus_url:
        raise Usage(f"--prometheus-url is required (or set {ENV_URL})")
    if args.ca_file and not os.access(args.ca_file, os.R_OK):
        raise Usage(f"--ca-file {args.ca_file}: cannot read it")
    if args.timeout <= 0:
        raise Usage(f"--timeout must be above 0; got {args.timeout:g}")
    access = PrometheusAccess(
        token_file=args.token_file,
        basic_auth_username=args.basic_auth_username,
        basic_auth_password_file=args.basic_auth_password_file,
        cert_file=args.cert_file,
        key_file=args.key_file,
        insecure_skip_verify=args.insecure_skip_verify,
    )
    settings = PrometheusSettings(args.prometheus_url, None, args.ca_file, args.timeout, access)
    try:  # the TLS files are loaded by the reader: a CA it refuses is Prometheus' problem (1)
        check(settings, FLAG_NAMES, load_tls=False)
    except PrometheusSettingsError as error:
        raise Usage(str(error)) from error
    return settings


def _check_generated(rules: list[LoadedRule], url: str) -> None:
    """A Prometheus without budgetwarden's rules is the wrong one, or has not loaded them."""
    if not any(names.PROM_LABEL_SLO in rule.labels for rule in rules):
        raise NotReviewable(
            f"Prometheus at {url} has loaded no alerting rule of an SLO (none carries a "
            f"{names.PROM_LABEL_SLO} label): load the generated rules, or point "
            f"--prometheus-url at the Prometheus that evaluates them"
        )


def read_incidents(path: str) -> Incidents:
    """The incidents file, parsed; Usage naming the file and what is wrong."""
    try:
        data = yaml.load(Path(path).read_text(), Loader=_TextTimes)  # a SafeLoader: plain data
    except OSError as error:
        raise Usage(f"--incidents {path}: cannot read: {error.strerror or error}") from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        what = getattr(error, "problem", None) or "unreadable"
        raise Usage(f"--incidents {path}: not YAML or JSON{where}: {what}") from error
    try:
        return parse_incidents(data)
    except SpecError as error:
        raise Usage(f"--incidents {path}: {error}") from error
