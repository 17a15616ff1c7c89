"""`--format vmrule` of `budgetwarden generate` and `generate pack`: for each example and pack,
the VictoriaMetrics operator's VMRule holds the PrometheusRule's groups and metadata, and only
fields the VMRule CRD knows (it rejects unknown ones). Its SLI rules read only the user's series:
vmalert persists records asynchronously, so a rule reading what an earlier rule of its group
recorded may get a mix of two evaluations."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from budgetwarden.core.packs import names as packs
from budgetwarden.core.slo.rulefiles import vm_rule
from cli_support import EXAMPLES, SLO_EXAMPLES, run

VMRULE = {"apiVersion": "operator.victoriametrics.com/v1beta1", "kind": "VMRule"}
RECORDED = "budgetwarden_slo:"  # the prefix of every series the rules record
# The json names of VMRule's RuleGroup and Rule (VictoriaMetrics/operator,
# api/operator/v1beta1/vmrule_types.go), reviewed by hand.
VM_GROUP_FIELDS = {
    "name", "interval", "rules", "limit", "eval_offset", "eval_delay", "eval_alignment",
    "concurrency", "labels", "tenant", "params", "type", "headers", "notifier_headers",
}  # fmt: skip
VM_RULE_FIELDS = {
    "record", "alert", "expr", "debug", "for", "keep_firing_for", "labels", "annotations",
    "update_entries_limit",
}  # fmt: skip


def generated(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, Any]]:
    code, out, err = run(capsys, *argv)
    assert (code, err) == (0, "")
    return [doc for doc in yaml.safe_load_all(out) if doc]


def sli_rules(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups = [group for obj in objects for group in obj["spec"]["groups"]]
    return [rule for g in groups if g["name"].endswith("-sli") for rule in g["rules"]]


def read_back(objects: list[dict[str, Any]]) -> list[str]:
    """The SLI rules whose expression reads a series the rules record."""
    return [rule["expr"] for rule in sli_rules(objects) if RECORDED in rule["expr"]]


def without_sli_expressions(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    copied = copy.deepcopy(objects)
    for rule in sli_rules(copied):
        del rule["expr"]
    return copied


def unknown_fields(objects: list[dict[str, Any]]) -> set[str]:
    """Group and rule fields the VMRule CRD does not have."""
    groups = [group for obj in objects for group in obj["spec"]["groups"]]
    rules = [rule for group in groups for rule in group["rules"]]
    group_fields = {key for group in groups for key in group}
    rule_fields = {key for rule in rules for key in rule}
    return (group_fields - VM_GROUP_FIELDS) | (rule_fields - VM_RULE_FIELDS)


COMMANDS = [
    *(pytest.param(["generate", str(EXAMPLES / f"{example}.yaml")], id=f"the SLO example {example}")
      for example in SLO_EXAMPLES),
    *(pytest.param(["generate", "pack", pack], id=f"the {pack} alert pack")
      for pack in packs.PACKS),
    pytest.param(["generate", "pack", *packs.PACKS], id="both packs, one object each"),
]  # fmt: skip


@pytest.mark.parametrize("argv", COMMANDS)
def test_a_vmrule_holds_the_prometheus_rules_groups_and_metadata(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    prometheus_rules = generated(capsys, *argv)
    vm_rules = generated(capsys, *argv, "--format", "vmrule")
    assert without_sli_expressions(vm_rules) == [
        {**obj, **VMRULE} for obj in without_sli_expressions(prometheus_rules)
    ]
    assert prometheus_rules and unknown_fields(vm_rules) == set()
    assert read_back(vm_rules) == []


def test_only_the_vmrule_reads_the_5m_rates_from_the_users_series_again(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = str(EXAMPLES / f"{SLO_EXAMPLES[0]}.yaml")
    chained = {rule["expr"] for rule in sli_rules(generated(capsys, "generate", path))}
    vm = {
        rule["expr"]
        for rule in sli_rules(generated(capsys, "generate", path, "--format", "vmrule"))
    }
    # the 5m error rate's fallback and the 5m burn rate; every other window is the same
    assert len(read_back(generated(capsys, "generate", path))) == len(chained - vm) == 2
    assert all(RECORDED not in expr and "[5m]" in expr for expr in vm - chained)


def test_fields_vmrule_does_not_have_are_left_out() -> None:
    owner = {"apiVersion": "budgetwarden.io/v1alpha1", "kind": "SLO", "name": "a", "uid": "u"}
    metadata = {
        "name": "a-slo", "namespace": "shop", "labels": {"team": "shop"},
        "annotations": {"note": "x"}, "ownerReferences": [owner],
    }  # fmt: skip
    rule = {"alert": "A", "expr": "up == 0", "for": "5m", "keep_firing_for": "1m"}
    group = {
        "name": "g", "interval": "30s", "limit": 10, "labels": {"tier": "1"},
        "query_offset": "1m", "partial_response_strategy": "warn", "rules": [rule],
    }  # fmt: skip
    prometheus_rule = {
        "apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
        "metadata": metadata, "spec": {"groups": [group]},
    }  # fmt: skip
    assert vm_rule(prometheus_rule) == {
        **VMRULE,
        "metadata": metadata,
        "spec": {
            "groups": [
                {"name": "g", "interval": "30s", "limit": 10, "labels": {"tier": "1"},
                 "rules": [rule]}
            ]
        },
    }  # fmt: skip


def test_the_plain_format_is_unchanged_by_the_new_choice(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = str(EXAMPLES / f"{SLO_EXAMPLES[0]}.yaml")
    (rule_file,) = generated(capsys, "generate", path, "--format", "prometheus")
    (prometheus_rule,) = generated(capsys, "generate", path)
    assert rule_file == {"groups": prometheus_rule["spec"]["groups"]}
