"""The CRDs in crds/ and the pydantic models in core agree, field for field.

There is no code generator between the two, so this test is the contract: the same field names
at every depth, the same required sets, the same enums, the same defaults, and every limit or
pattern a model declares is the CRD's too. A field added on one side only shows up as a
difference under its path. It also checks the CRDs' own hygiene (every string, list and map
bounded, which keeps CEL cost estimates finite); their names and printer columns are held in
tests/unit/test_crd_names.py.
"""

from __future__ import annotations

import copy

import pytest
from pydantic import BaseModel

from budgetwarden.core.freeze.exception_spec import FreezeException
from budgetwarden.core.kernel.model import NAME_PATTERN
from budgetwarden.core.policy.spec import ErrorBudgetPolicy
from budgetwarden.core.slo.spec import SLO
from crd_support import (
    RESOURCES,
    Schema,
    crd_node,
    crd_root,
    differences,
    model_root,
    typed_patterns,
)


@pytest.mark.parametrize(("model", "file"), RESOURCES)
def test_the_crd_spec_has_the_models_fields_required_sets_enums_and_limits(
    model: type[BaseModel], file: str
) -> None:
    schema = model_root(model)
    spec = schema["properties"]["spec"]
    assert differences(spec, crd_root(file)["properties"]["spec"], schema["$defs"], "spec") == []


@pytest.mark.parametrize(("model", "file"), RESOURCES)
def test_the_crd_requires_spec_exactly_when_the_model_does(
    model: type[BaseModel], file: str
) -> None:
    assert ("spec" in model_root(model)["required"]) == (
        "spec" in crd_root(file).get("required", [])
    )


@pytest.mark.parametrize(
    ("model", "file", "paths"),
    [
        pytest.param(
            SLO, "budgetwarden.io_slos.yaml",
            ["spec.objective", "spec.window", "spec.indicator.latency.threshold",
             "spec.alerting.burnRateWindows[].longWindow",
             "spec.alerting.burnRateWindows[].shortWindow",
             "spec.alerting.burnRateWindows[].factor", "spec.alerting.serviceDown.for",
             "spec.alerting.errorRate.threshold", "spec.alerting.errorRate.for"],
            id="SLO",
        ),
        pytest.param(
            ErrorBudgetPolicy, "budgetwarden.io_errorbudgetpolicies.yaml",
            ["spec.levels.warningBelow", "spec.levels.partialFreezeBelow",
             "spec.levels.fullFreezeBelow", "spec.burnRateTriggers[].longWindow",
             "spec.burnRateTriggers[].shortWindow", "spec.burnRateTriggers[].factor",
             "spec.hysteresis.exitMarginPercent", "spec.hysteresis.minimumHold"],
            id="policy",
        ),
        pytest.param(FreezeException, "budgetwarden.io_freezeexceptions.yaml", [], id="exception"),
    ],
)  # fmt: skip
def test_percents_factors_and_durations_carry_their_pattern_in_the_crd(
    model: type[BaseModel], file: str, paths: list[str]
) -> None:
    expected = typed_patterns(model, "")
    root = crd_root(file)
    assert list(expected) == paths
    assert {path: crd_node(root, path)["pattern"] for path in expected} == expected


@pytest.mark.parametrize(("model", "file"), RESOURCES)
def test_metadata_name_is_restricted_to_a_dns_label_as_the_model_requires(
    model: type[BaseModel], file: str
) -> None:
    name = crd_root(file)["properties"]["metadata"]["properties"]["name"]
    assert (name["pattern"], name["maxLength"]) == (NAME_PATTERN, 63)


def test_a_field_on_one_side_only_is_reported_under_its_path() -> None:
    schema = model_root(SLO)
    crd = copy.deepcopy(crd_root("budgetwarden.io_slos.yaml")["properties"]["spec"])
    crd["properties"]["owner"] = {"type": "string", "maxLength": 63}
    del crd["properties"]["indicator"]["properties"]["latency"]["properties"]["threshold"]
    assert differences(schema["properties"]["spec"], crd, schema["$defs"], "spec") == [
        "spec.indicator.latency.threshold: only in the model",
        "spec.owner: only in the CRD",
    ]


def unbounded(node: Schema, path: str) -> list[str]:
    """Strings without maxLength or enum, lists without maxItems, maps without maxProperties."""
    kind = node.get("type")
    found = []
    if kind == "string" and "maxLength" not in node and "enum" not in node:
        found.append(f"{path}: string without maxLength")
    if kind == "array" and "maxItems" not in node:
        found.append(f"{path}: list without maxItems")
    if kind == "object" and "additionalProperties" in node and "maxProperties" not in node:
        found.append(f"{path}: map without maxProperties")
    for name, child in node.get("properties", {}).items():
        found += unbounded(child, f"{path}.{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            found += unbounded(node[key], f"{path}.{key}")
    return found


@pytest.mark.parametrize("file", [p.values[1] for p in RESOURCES])
def test_every_string_list_and_map_in_spec_and_status_is_bounded(file: str) -> None:
    properties = crd_root(file)["properties"]
    assert unbounded(properties["spec"], "spec") + unbounded(properties["status"], "status") == []
