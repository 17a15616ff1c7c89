"""`budgetwarden generate pack PACK...`: alerts beyond SLOs, as PrometheusRules, a rule file, or
VictoriaMetrics VMRules.

For clusters that want the resources pack (CPU, memory, disks, OOM kills, crash loops) or the
model-quality pack (drift, confidence) without the Helm chart, or in a GitOps repo. Each flag
is checked by its argparse type, so a bad value stops the run with argparse's usage line and one
error line naming the flag; the checks are the core's (`core/packs/settings.py`). The chart's
`alertPacks` values render the same rules (docs/helm.md#alert-packs).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from budgetwarden.cli import _output
from budgetwarden.cli._documents import dump_all, dump_yaml, print_lines
from budgetwarden.core.kernel.runbooks import SHIPPED_RUNBOOKS, parse_runbook_base
from budgetwarden.core.packs import names
from budgetwarden.core.packs.build import build_pack_groups, build_pack_prometheus_rule
from budgetwarden.core.packs.priorities import parse_priority_override
from budgetwarden.core.packs.settings import (
    ModelQualitySettings,
    PackSettings,
    ResourcesSettings,
    Threshold,
    duration_text,
    histogram_name_text,
    metric_name_text,
    namespace_selector_text,
    number_text,
    percent_text,
)
from budgetwarden.core.slo.rulefiles import vm_rule

FORMAT_PROMETHEUS_RULE = "prometheusrule"
FORMAT_PROMETHEUS = "prometheus"
FORMAT_VMRULE = "vmrule"
RESOURCES = ResourcesSettings()
MODEL_QUALITY = ModelQualitySettings()


def checked(check: Callable[[str], Any], name: str) -> Callable[[str], Any]:
    """An argparse type from a core check: its ValueError becomes argparse's one-line error."""

    def argument(text: str) -> Any:
        try:
            return check(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from error

    argument.__name__ = name  # argparse names the type in some messages
    return argument


PERCENT = checked(percent_text, "percent")
NUMBER = checked(number_text, "number")
DURATION = checked(duration_text, "duration")


def register(parser: argparse.ArgumentParser) -> None:
    """Arguments of `budgetwarden generate pack`."""
    # One usage line: with a bad flag, argparse prints it and one error line naming the flag.
    parser.usage = "%(prog)s [options] PACK [PACK ...]  (--help lists the options)"
    parser.add_argument(
        "packs",
        nargs="+",
        choices=names.PACKS,
        metavar="PACK",
        help=f"{' or '.join(names.PACKS)} (several: one object each)",
    )
    parser.add_argument(
        "--format",
        choices=(FORMAT_PROMETHEUS_RULE, FORMAT_PROMETHEUS, FORMAT_VMRULE),
        default=FORMAT_PROMETHEUS_RULE,
        help="PrometheusRule objects (default), one plain Prometheus rule file, or VMRule "
        "objects of the VictoriaMetrics operator",
    )
    _output.add_output_arguments(parser, "budgetwarden-pack-<pack>.yaml per pack")
    _register_common(parser)
    _register_resources(parser.add_argument_group("the resources pack"))
    _register_model_quality(parser.add_argument_group("the model-quality pack"))


def _register_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--namespace-selector",
        type=checked(namespace_selector_text, "selector"),
        default="",
        metavar="MATCHERS",
        help='PromQL matchers on namespace, e.g. namespace!~"kube-.*" (default: all)',
    )
    parser.add_argument(
        "--runbook-base-url",
        type=checked(parse_runbook_base, "url"),
        default=SHIPPED_RUNBOOKS,
        metavar="URL",
        help="link each alert's runbook under this URL: URL/alerts/<Alert>.md, or a URL with "
        "{page} for a wiki (default: the shipped pages on GitHub)",
    )
    parser.add_argument(
        "--priority",
        type=checked(parse_priority_override, "priority"),
        action="append",
        default=[],
        metavar="ALERT=P0..P3",
        help="replace an alert's default priority (repeat)",
    )


def _add_for(group: argparse._ArgumentGroup, flag: str, default: str) -> None:
    """`--<flag>-for DURATION`: how long a condition holds before its alert fires."""
    group.add_argument(
        f"--{flag}-for",
        type=DURATION,
        default=default,
        metavar="DURATION",
        help=f"how long before it fires (default {default})",
    )


def _register_resources(group: argparse._ArgumentGroup) -> None:
    for flag, threshold, unit in (
        ("cpu", RESOURCES.cpu, "of the CPU limit"),
        ("memory", RESOURCES.memory, "of the memory limit"),
        ("disk", RESOURCES.disk, "of a volume used"),
    ):
        group.add_argument(
            f"--{flag}-threshold",
            type=PERCENT,
            default=threshold.value,
            metavar="PERCENT",
            help=f"percent {unit} (default {threshold.value})",
        )
        _add_for(group, flag, threshold.sustained)
    group.add_argument(
        "--no-node-disks",
        dest="node_disks",
        action="store_false",
        help="leave out the nodes' filesystems (node-exporter)",
    )
    _add_for(group, "crash-looping", RESOURCES.crash_looping_for)


def _register_model_quality(group: argparse._ArgumentGroup) -> None:
    for flag, metric, check, threshold in (
        ("drift", MODEL_QUALITY.drift_metric, metric_name_text, MODEL_QUALITY.drift),
        (
            "confidence",
            MODEL_QUALITY.confidence_metric,
            histogram_name_text,
            MODEL_QUALITY.confidence,
        ),
    ):
        group.add_argument(
            f"--{flag}-metric",
            type=checked(check, "metric"),
            default=metric,
            metavar="NAME",
            help=f"{'a gauge' if flag == 'drift' else 'a histogram, base name'} (default {metric})",
        )
        group.add_argument(
            f"--{flag}-threshold",
            type=NUMBER,
            default=threshold.value,
            metavar="NUMBER",
            help=f"fire {'above' if flag == 'drift' else 'below'} it (default {threshold.value})",
        )
        _add_for(group, flag, threshold.sustained)


def settings_from(args: argparse.Namespace) -> PackSettings:
    """The pack settings the flags describe."""
    return PackSettings(
        namespace_selector=args.namespace_selector,
        runbooks=args.runbook_base_url,
        priorities=dict(args.priority),
        resources=ResourcesSettings(
            cpu=Threshold(args.cpu_threshold, args.cpu_for),
            memory=Threshold(args.memory_threshold, args.memory_for),
            disk=Threshold(args.disk_threshold, args.disk_for),
            node_disks=args.node_disks,
            crash_looping_for=args.crash_looping_for,
        ),
        model_quality=ModelQualitySettings(
            drift_metric=args.drift_metric,
            drift=Threshold(args.drift_threshold, args.drift_for),
            confidence_metric=args.confidence_metric,
            confidence=Threshold(args.confidence_threshold, args.confidence_for),
        ),
    )


def _rules(pack: str, settings: PackSettings, fmt: str) -> Any:
    if fmt == FORMAT_PROMETHEUS:
        return {"groups": build_pack_groups([pack], settings)}
    if fmt == FORMAT_VMRULE:
        return vm_rule(build_pack_prometheus_rule(pack, settings))
    return build_pack_prometheus_rule(pack, settings)


def run(args: argparse.Namespace) -> int:
    """Print (or write with -o) the packs' rules; exit 1 with one line if they cannot be built."""
    target = _output.plan(args.output, args.force)
    packs = list(dict.fromkeys(args.packs))  # each pack once, in the order named
    try:
        settings = settings_from(args)
        rules = {pack: _rules(pack, settings, args.format) for pack in packs}
    except ValueError as error:
        print_lines([f"budgetwarden generate pack: {error}"])
        return 1
    if args.format == FORMAT_PROMETHEUS:
        combined = dump_yaml({"groups": [g for r in rules.values() for g in r["groups"]]})
    else:
        combined = dump_all(rules.values())
    files = {f"budgetwarden-pack-{pack}.yaml": dump_yaml(r) for pack, r in rules.items()}
    _output.write(target, files, combined)
    return 0
