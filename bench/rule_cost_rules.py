"""The rule files the rule-cost benchmark loads: budgetwarden's generator and Sloth v0.16.0's CLI.

Used by bench.rule_cost. budgetwarden's files come from the generator itself (the files
`rules-sync` writes), so the benchmark always measures the current rules. Sloth's come from
`sloth generate` on the same SLOs written as `prometheus/v1` specs, one run per SLO period.

The Sloth specs mirror budgetwarden's indicators query for query, so both tools read the same
series the same way: the request ratios as in bench.specs; latency as slow = `le="+Inf"` bucket
minus the threshold's bucket (budgetwarden's total is the `+Inf` bucket, not `_count`); `up`
availability as samples minus the sum of samples, as budgetwarden counts it (a subquery such as
`count_over_time((up == 0)[3d:])` would cost Sloth far more and measure the spec, not the tool).
Alerts stay on on both sides, as each tool's users run them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from bench import specs
from budgetwarden.core.kernel.durations import format_duration, parse_duration
from budgetwarden.core.slo.rulefiles import desired_files
from budgetwarden.core.slo.rules import RuleOptions, build_prometheus_rule
from budgetwarden.core.slo.spec import parse_slo
from budgetwarden_dev.devenv.binaries import repo_root

# A range selector on a recorded series (recording-rule names have colons): `name{...}[30d]`.
_RANGE_READ = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_:]*)(?:\{[^}]*\})?\[")


def budgetwarden_rules(
    cases: list[specs.SLOCase],
    folder: Path,
    only_burn_alerts: bool = False,
    evaluation_interval: timedelta = RuleOptions.evaluation_interval,
    pace: int = 1,
) -> None:
    """Write the rule file rules-sync would write for each case (scrape 30 s, evaluation
    `evaluation_interval`); `only_burn_alerts`: with the page and ticket alerts only, as Sloth's
    rules have. `pace` > 1 generates for `evaluation_interval / pace` and then multiplies every
    group's interval by `pace`: the deployment of that shorter interval, evaluated `pace` times
    more slowly."""
    folder.mkdir(parents=True)
    texts = [specs.budgetwarden_yaml(case, only_burn_alerts) for case in cases]
    slos = [parse_slo(yaml.safe_load(text)) for text in texts]
    options = RuleOptions(evaluation_interval=evaluation_interval / pace)
    objects = [build_prometheus_rule(slo, options) for slo in slos]
    for group in (g for o in objects for g in o["spec"]["groups"]):
        group["interval"] = format_duration(parse_duration(group["interval"]) * pace)
    for name, content in desired_files(objects).items():
        (folder / name).write_text(content)


def sloth_binary() -> Path:
    """`sloth`, built once from hack/backends/sloth/go.mod (the first build takes minutes)."""
    script = repo_root() / "hack" / "backends" / "build.sh"
    built = subprocess.run(
        ["bash", str(script), "sloth"], check=True, capture_output=True, text=True
    )
    return Path(built.stdout.strip().splitlines()[-1]) / "sloth"


def sloth_rules(cases: list[specs.SLOCase], folder: Path, sloth: Path) -> None:
    """Write the cases as Sloth specs and let `sloth generate` write one rule file per SLO."""
    specs_root = folder.parent / f"{folder.name}-specs"
    windows = specs_root / "windows"
    windows.mkdir(parents=True)
    folder.mkdir(parents=True)
    for window in sorted({case.window for case in cases}):
        (windows / f"{window}.yaml").write_text(specs.sloth_windows_yaml(window))
        source, out = specs_root / window, specs_root / f"out-{window}"
        source.mkdir()
        out.mkdir()
        for case in (c for c in cases if c.window == window):
            (source / f"{case.name}.yaml").write_text(sloth_spec(case))
        argv = [str(sloth), "generate", "--no-log", "-i", str(source), "-o", str(out)]
        argv += [f"--default-slo-period={window}", f"--slo-period-windows-path={windows}"]
        subprocess.run(argv, check=True, capture_output=True)
        for path in out.iterdir():
            path.rename(folder / path.name)
    shutil.rmtree(specs_root)


def _sloth_queries(case: specs.SLOCase) -> tuple[str, str]:
    """(error_query, total_query) reading what budgetwarden's indicator reads."""
    window = "[{{.window}}]"
    if case.kind in ("errors", "good"):
        selector = f'job="{case.job}",handler="/api/{case.index}"'
        total = f"sum(rate(http_requests_total{{{selector}}}{window}))"
        if case.kind == "errors":
            return f'sum(rate(http_requests_total{{{selector},code=~"5.."}}{window}))', total
        good = f'sum(rate(http_requests_total{{{selector},code!~"5.."}}{window}))'
        return f"({total} - {good})", total
    if case.kind == "latency":
        bucket = f'http_request_duration_seconds_bucket{{job="{case.job}",le='
        total = f'sum(rate({bucket}"+Inf"}}{window}))'
        fast = f'sum(rate({bucket}"{specs.THRESHOLDS[case.threshold]}"}}{window}))'
        return f"({total} - {fast})", total
    up = f'up{{job="{case.job}"}}'
    total = f"sum(count_over_time({up}{window}))"
    return f"({total} - sum(sum_over_time({up}{window})))", total


def sloth_spec(case: specs.SLOCase) -> str:
    """The case as a Sloth prometheus/v1 spec reading the series as budgetwarden's rules do."""
    return specs.sloth_yaml(case, _sloth_queries(case))


def rule_groups(folder: Path) -> list[dict[str, Any]]:
    """Every rule group of every rule file in `folder`."""
    groups: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.yaml")):
        groups += (yaml.safe_load(path.read_text()) or {}).get("groups") or []
    return groups


def ranged_recordings(folder: Path) -> list[tuple[str, dict[str, str], float]]:
    """The recorded series some rule reads over a range, (metric, labels, typical value) each:
    what a backfill must hold for the long windows to be full. Read from the files, so a
    generator that records other series gets those backfilled."""
    rules = [rule for group in rule_groups(folder) for rule in group["rules"]]
    recorded = {rule["record"] for rule in rules if "record" in rule}
    read = {m for rule in rules for m in _RANGE_READ.findall(str(rule["expr"])) if m in recorded}
    return [
        (rule["record"], {str(k): str(v) for k, v in (rule.get("labels") or {}).items()},
         typical_value(rule["record"]))
        for rule in rules
        if rule.get("record") in read
    ]  # fmt: skip


def typical_value(metric: str) -> float:
    """A value of the right size for a recorded series, by its name: an error ratio, an error
    rate or a total rate of the synthetic traffic (bench.rule_cost_series)."""
    from bench.rule_cost_series import ERROR_SHARE, REQUESTS_PER_SECOND

    if "error" in metric and "ratio" in metric:
        return ERROR_SHARE
    if "error" in metric:
        return REQUESTS_PER_SECOND * ERROR_SHARE
    return REQUESTS_PER_SECOND
