"""The chart's `rules.labels`, `rules.annotations` and `rules.evaluator`: rendered as the
BUDGETWARDEN_RULE_* variables of the operator container, which the operator reads back into
the labels and annotations of every generated PrometheusRule (and, for vmalert, rules that
never read their own group's records); values the operator would refuse fail at `helm
template`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from budgetwarden.core.slo.rules import build_prometheus_rule
from budgetwarden.runtime import config as operator_config
from helm_support import CHART, RELEASE, Render, build_helm, find, helm_run, renderer, set_args
from rules_support import make_slo

pytestmark = pytest.mark.cluster

KPS = {
    "rules.labels": '{"release": "kube-prometheus-stack", "team": "sre"}',
    "rules.annotations": '{"example.com/owner": "platform team"}',
}


@pytest.fixture(scope="module")
def helm() -> Path:
    return build_helm()


@pytest.fixture(scope="module")
def render(helm: Path) -> Render:
    return renderer(helm)


def operator_env(docs: list[dict[str, Any]]) -> dict[str, str]:
    pod = find(docs, "Deployment")["spec"]["template"]["spec"]
    (container,) = [c for c in pod["containers"] if c["name"] == "operator"]
    return {item["name"]: item["value"] for item in container.get("env", [])}


def test_rule_labels_and_annotations_become_the_operators_variables(render: Render) -> None:
    env = operator_env(render("shop", KPS))
    assert {k: v for k, v in env.items() if k.startswith("BUDGETWARDEN_RULE_")} == {
        "BUDGETWARDEN_RULE_LABELS": "release=kube-prometheus-stack,team=sre",
        "BUDGETWARDEN_RULE_ANNOTATIONS": "example.com/owner=platform team",
    }


def test_no_variable_is_set_by_default(render: Render) -> None:
    env = operator_env(render("shop", {}))
    assert [k for k in env if k.startswith("BUDGETWARDEN_RULE_")] == []


def test_the_vmalert_evaluator_reaches_the_operators_rules(render: Render) -> None:
    env = operator_env(render("shop", {"rules.evaluator": '"vmalert"'}))
    assert env["BUDGETWARDEN_RULE_EVALUATOR"] == "vmalert"
    assert operator_config.OperatorConfig.load(env).rules.chained_records is False


def test_the_operator_puts_the_rendered_labels_on_every_generated_rule(render: Render) -> None:
    env = operator_env(render("shop", KPS))
    options = operator_config.OperatorConfig.load(env).rules
    meta = build_prometheus_rule(make_slo(), options)["metadata"]
    assert (meta["labels"]["release"], meta["labels"]["team"]) == ("kube-prometheus-stack", "sre")
    assert meta["annotations"]["example.com/owner"] == "platform team"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        pytest.param({"rules.annotations": '{"note": "a, b"}'},
                     "rules.annotations.note: the value may not hold a comma",
                     id="an annotation value with a comma"),
        pytest.param({"rules.labels": '{"release": "kube prometheus"}'},
                     "at '/rules/labels/release': 'kube prometheus' does not match pattern",
                     id="a label value with a space"),
        pytest.param({"rules.labels": '{"-release": "kps"}'},
                     'rules.labels: "-release" is not a label key such as release or '
                     "example.com/tier", id="a key that is no label key"),
        pytest.param({"rules.labels": '{"app.kubernetes.io/managed-by": "helm"}'},
                     'rules.labels: key "app.kubernetes.io/managed-by" is set by budgetwarden '
                     "and cannot be replaced", id="budgetwarden's own label"),
        pytest.param({"rules.label": '{"release": "kps"}'},
                     "rules", id="a misspelled field"),
        pytest.param({"rules.evaluator": '"thanos"'},
                     "at '/rules/evaluator': value must be one of", id="an unknown evaluator"),
    ],
)  # fmt: skip
def test_values_the_operator_would_refuse_fail_at_template(
    helm: Path, values: dict[str, str], message: str
) -> None:
    result = helm_run(helm, "template", RELEASE, str(CHART), *set_args(values))
    assert result.returncode != 0 and message in result.stderr, result.stderr
