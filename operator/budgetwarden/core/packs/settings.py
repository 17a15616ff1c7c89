"""What a cluster tunes in its alert packs: thresholds, `for:` durations, metric names, scope.

`budgetwarden generate pack` builds these from its flags (each flag's argparse type is one of the
`*_text` checks below, so a bad value is refused naming the flag); the Helm chart reads the same
settings from `alertPacks` in values.yaml, whose schema holds the same patterns. Thresholds and
durations are kept as the text the user wrote and copied into the rules unchanged: the chart
cannot normalise "90m" into "1h30m" or "85.0" into "85", and its rules must equal the CLI's.

Each default carries its reason; docs/helm.md#alert-packs lists them for people.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from budgetwarden.core.kernel.durations import parse_duration
from budgetwarden.core.kernel.runbooks import SHIPPED_RUNBOOKS, RunbookLinks
from budgetwarden.core.slo.priorities import Priority
from budgetwarden.core.slo.promql import parse_selector

NUMBER_PATTERN = r"^[0-9]{1,6}(\.[0-9]{1,6})?$"
METRIC_NAME_PATTERN = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"
NAMESPACE_LABEL = "namespace"
# Series a histogram or summary adds to its base name; the confidence setting takes the base.
HISTOGRAM_SUFFIXES = ("_sum", "_count", "_bucket")


def number_text(text: str) -> str:
    """A threshold such as "0.25" or "85": digits, an optional fraction, no sign, no exponent."""
    if not re.fullmatch(NUMBER_PATTERN, text):
        raise ValueError(f'must be a number such as "85" or "0.25"; got "{text[:80]}"')
    return text


def percent_text(text: str) -> str:
    """A percent of a limit or a capacity, above 0 and at most 100."""
    number = number_text(text.removesuffix("%"))
    if not 0 < Decimal(number) <= 100:
        raise ValueError(f'must be a percent above 0 and at most 100, such as "85"; got "{text}"')
    return number


def duration_text(text: str) -> str:
    """A rule's `for:` such as "15m" or "1h30m", as written."""
    parse_duration(text)  # raises ValueError with the accepted form
    return text


def metric_name_text(text: str) -> str:
    """A Prometheus metric name."""
    if not re.fullmatch(METRIC_NAME_PATTERN, text):
        raise ValueError(
            f'must be a Prometheus metric name such as "model_drift_score"; got "{text[:80]}"'
        )
    return text


def histogram_name_text(text: str) -> str:
    """The base name of a histogram or summary, whose _sum and _count series the rule reads."""
    name = metric_name_text(text)
    if name.endswith(HISTOGRAM_SUFFIXES):
        raise ValueError(f'must be the base name, without _sum, _count or _bucket; got "{name}"')
    return name


def namespace_selector_text(text: str) -> str:
    """PromQL matchers on the namespace label, such as namespace!~"kube-.*"; "" for every one."""
    selector = text.strip()
    if not selector:
        return ""
    example = 'namespace=~"shop|payments" or namespace!~"kube-.*"'
    try:
        parsed = parse_selector(f"up{{{selector}}}")
    except ValueError as error:
        raise ValueError(
            f'must be PromQL label matchers such as {example}; got "{text[:80]}"'
        ) from error
    others = sorted({label for label, _, _ in parsed.matchers if label != NAMESPACE_LABEL})
    if others:
        raise ValueError(
            f"must match on the namespace label only; got matchers on {', '.join(others)}"
        )
    return selector


@dataclass(frozen=True)
class Threshold:
    """Fire when a measure is past `value` for `sustained` (the rule's `for:`), both as written."""

    value: str
    sustained: str

    def __post_init__(self) -> None:
        number_text(self.value)
        duration_text(self.sustained)


@dataclass(frozen=True)
class ResourcesSettings:
    """The resources pack: CPU and memory against each container's limits, disks, restarts."""

    # Percent of the CPU limit. Past about 85% the CFS quota throttles bursts, so latency
    # suffers before the average reaches 100%; 15 minutes tells load from a batch job's spike.
    cpu: Threshold = Threshold("85", "15m")
    # Percent of the memory limit (working set, what the OOM killer compares). 90% leaves one
    # spike's room before the kill; 5 minutes, because memory rarely falls back on its own.
    memory: Threshold = Threshold("90", "5m")
    # Percent of a volume or filesystem used. 15% left is days of headroom on most volumes;
    # 15 minutes lets compactions and temporary files come and go.
    disk: Threshold = Threshold("85", "15m")
    # Also watch the nodes' own filesystems (node-exporter); off when another team owns nodes.
    node_disks: bool = True
    # Kubernetes backs off up to 5 minutes between restarts: 15 minutes is three attempts.
    crash_looping_for: str = "15m"

    def __post_init__(self) -> None:
        for threshold in (self.cpu, self.memory, self.disk):
            percent_text(threshold.value)
        duration_text(self.crash_looping_for)


@dataclass(frozen=True)
class ModelQualitySettings:
    """The model-quality pack: a drift score and the mean confidence of predictions."""

    # A gauge per model that a drift detector exports (PSI, a KS statistic, a share of
    # drifted features). 0.25 is the usual line of a significant shift in PSI; set your
    # detector's own. 30 minutes, because one small batch can score high by chance.
    drift_metric: str = "model_drift_score"
    drift: Threshold = Threshold("0.25", "30m")
    # A histogram (or summary) of each prediction's confidence, 0 to 1; its _sum and _count give
    # the mean. 0.7 is a placeholder: take the mean your model reached in validation, minus a
    # margin.
    confidence_metric: str = "model_prediction_confidence"
    confidence: Threshold = Threshold("0.7", "15m")

    def __post_init__(self) -> None:
        metric_name_text(self.drift_metric)
        histogram_name_text(self.confidence_metric)


@dataclass(frozen=True)
class PackSettings:
    """Everything the packs are built from; the defaults are the chart's defaults."""

    # Added to every namespaced series the packs read; "" reads every namespace.
    namespace_selector: str = ""
    # Where each alert's runbook_url points: <base>/alerts/<AlertName>.md, or a wiki's {page}.
    runbooks: RunbookLinks = SHIPPED_RUNBOOKS
    # Alert name -> priority, replacing the reviewed default (priorities.py).
    priorities: Mapping[str, Priority] = field(default_factory=dict)
    resources: ResourcesSettings = ResourcesSettings()
    model_quality: ModelQualitySettings = ModelQualitySettings()

    def __post_init__(self) -> None:
        # Stored as the rules use it: trimmed.
        selector = namespace_selector_text(self.namespace_selector)
        object.__setattr__(self, "namespace_selector", selector)
