"""The CRDs in crds/ and the pydantic models in core agree, field for field.

There is no code generator between the two, so this test is the contract: the same field names
at every depth, the same required sets, the same enums, the same defaults, and every limit or
pattern a model declares is the CRD's too. A field added on one side only shows up as a
difference under its path. It also checks the CRDs' own hygiene (every string, list and map
bounded, which keeps CEL cost estimates finite) and their names and printer columns.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml
from pydantic import BaseModel

from budgetwarden.core.freeze.exception_spec import FreezeException
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.durations import DURATION_PATTERN
from budgetwarden.core.kernel.model import NAME_PATTERN
from budgetwarden.core.kernel.quantities import (
    FACTOR_PATTERN,
    PERCENT_PATTERN,
    Duration,
    Factor,
    Percent,
)
from budgetwarden.core.policy.spec import ErrorBudgetPolicy
from budgetwarden.core.slo.spec import SLO

CRDS = Path(__file__).parents[2] / "crds"
Schema = dict[str, Any]

RESOURCES = [
    pytest.param(SLO, "budgetwarden.io_slos.yaml", id="SLO"),
    pytest.param(ErrorBudgetPolicy, "budgetwarden.io_errorbudgetpolicies.yaml", id="policy"),
    pytest.param(FreezeException, "budgetwarden.io_freezeexceptions.yaml", id="exception"),
]
# Limits a model can declare; when it does, the CRD must declare the same value.
LIMITS = ("maxLength", "minLength", "maxItems", "minItems", "maxProperties", "pattern", "format")
# The string-number types carry their pattern in a validator, invisible to the JSON schema.
TYPED_PATTERNS = {Percent: PERCENT_PATTERN, Factor: FACTOR_PATTERN, Duration: DURATION_PATTERN}


def load_crd(file: str) -> Schema:
    """The CRD document in crds/<file>."""
    return yaml.safe_load((CRDS / file).read_text())  # type: ignore[no-any-return]


def crd_root(file: str) -> Schema:
    """The openAPIV3Schema of the CRD's only version."""
    (version,) = load_crd(file)["spec"]["versions"]
    return version["schema"]["openAPIV3Schema"]  # type: ignore[no-any-return]


def model_root(model: type[BaseModel]) -> Schema:
    """The model's JSON schema as the wire sees it (aliases, strings for numbers)."""
    return model.model_json_schema(by_alias=True, mode="serialization")


def resolve(node: Schema, defs: Schema) -> Schema:
    """Follow $ref and drop the `null` branch pydantic writes for optional fields."""
    if "$ref" in node:
        return resolve(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in node:
        (branch,) = [b for b in node["anyOf"] if b.get("type") != "null"]
        return resolve({**branch, **{k: v for k, v in node.items() if k != "anyOf"}}, defs)
    if "const" in node:
        return {**node, "enum": [node["const"]]}
    if "patternProperties" in node:  # pydantic's form of a map whose keys have a pattern
        ((key_pattern, values),) = node["patternProperties"].items()
        keys = {**node.get("propertyNames", {}), "pattern": key_pattern}
        rest = {k: v for k, v in node.items() if k != "patternProperties"}
        return {**rest, "additionalProperties": values, "propertyNames": keys}
    return node


def differences(model: Schema, crd: Schema, defs: Schema, path: str) -> list[str]:
    """Every way `crd` disagrees with `model` at `path` and below; empty when they agree."""
    model = resolve(model, defs)
    found = [
        f"{path}: {key} is {model.get(key)!r} in the model, {crd.get(key)!r} in the CRD"
        for key in ("type", "enum")
        if model.get(key) != crd.get(key)
    ]
    found += [
        f"{path}: {key} is {model[key]!r} in the model, {crd.get(key)!r} in the CRD"
        for key in LIMITS
        if key in model and model[key] != crd.get(key)
    ]
    found += _default_differences(model, crd, path)
    found += _key_pattern_differences(model, crd, path)
    model_props, crd_props = model.get("properties", {}), crd.get("properties", {})
    found += [f"{path}.{name}: only in the model" for name in model_props.keys() - crd_props]
    found += [f"{path}.{name}: only in the CRD" for name in crd_props.keys() - model_props]
    if set(model.get("required", [])) != set(crd.get("required", [])):
        found.append(f"{path}: required {model.get('required')} vs {crd.get('required')}")
    for name in sorted(model_props.keys() & crd_props.keys()):
        found += differences(model_props[name], crd_props[name], defs, f"{path}.{name}")
    for key, suffix in (("items", "[]"), ("additionalProperties", "{}")):
        if isinstance(model.get(key), dict):
            found += differences(model[key], crd.get(key, {}), defs, path + suffix)
    return sorted(found)


def _default_differences(model: Schema, crd: Schema, path: str) -> list[str]:
    # Scalar defaults the model fills in must be the CRD's too, so `kubectl get -o yaml` shows
    # what the operator uses; empty ones ("", [], {}, false, null) are left out of the CRD.
    model_default = model.get("default")
    meaningful = model_default not in (None, "", [], {}, False)
    if (meaningful or "default" in crd) and crd.get("default") != model_default:
        return [
            f"{path}: default is {model_default!r} in the model, {crd.get('default')!r} in the CRD"
        ]
    return []


def _key_pattern_differences(model: Schema, crd: Schema, path: str) -> list[str]:
    # Structural schemas have no propertyNames, so a map's key rules live in a CEL rule.
    keys = model.get("propertyNames", {})
    wanted = [f"'{keys['pattern']}'"] if "pattern" in keys else []
    wanted += [f"k.size() <= {keys['maxLength']}"] if "maxLength" in keys else []
    rules = [rule["rule"].replace("\\\\", "\\") for rule in crd.get("x-kubernetes-validations", [])]
    return [
        f"{path}: no CEL rule has {text}" for text in wanted if not any(text in r for r in rules)
    ]


def typed_patterns(model: type[BaseModel], path: str) -> dict[str, str]:
    """Path -> pattern for every Percent, Factor and Duration field, found through the models."""
    found: dict[str, str] = {}
    for name, field in model.model_fields.items():
        here = f"{path}.{field.alias or name}" if path else field.alias or name
        for typ, pattern in TYPED_PATTERNS.items():
            if typ.__metadata__[0] in field.metadata:  # type: ignore[attr-defined]
                found[here] = pattern
        for inner in (field.annotation, *get_args(field.annotation)):
            for candidate in (inner, *get_args(inner)):
                if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                    suffix = "[]" if "tuple" in str(field.annotation) else ""
                    found |= typed_patterns(candidate, here + suffix)
    return found


def crd_node(root: Schema, path: str) -> Schema:
    """The CRD schema node at a dotted path such as spec.alerting.burnRateWindows[].factor."""
    node = root
    for part in path.split("."):
        name = part.removesuffix("[]")
        node = node["properties"][name]
        if part.endswith("[]"):
            node = node["items"]
    return node


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
             "spec.alerting.burnRateWindows[].factor"],
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


@pytest.mark.parametrize(
    ("file", "names"),
    [
        pytest.param(
            "budgetwarden.io_slos.yaml",
            {"kind": c.KIND_SLO, "listKind": "SLOList", "plural": c.PLURAL_SLO,
             "singular": "slo", "categories": [c.CATEGORY]},
            id="SLO",
        ),
        pytest.param(
            "budgetwarden.io_errorbudgetpolicies.yaml",
            {"kind": c.KIND_POLICY, "listKind": "ErrorBudgetPolicyList",
             "plural": c.PLURAL_POLICY, "singular": "errorbudgetpolicy", "shortNames": ["ebp"],
             "categories": [c.CATEGORY]},
            id="policy",
        ),
        pytest.param(
            "budgetwarden.io_freezeexceptions.yaml",
            {"kind": c.KIND_EXCEPTION, "listKind": "FreezeExceptionList",
             "plural": c.PLURAL_EXCEPTION, "singular": "freezeexception", "shortNames": ["fex"],
             "categories": [c.CATEGORY]},
            id="exception",
        ),
    ],
)  # fmt: skip
def test_the_crd_is_named_by_the_conventions_and_serves_one_version_with_status(
    file: str, names: dict[str, Any]
) -> None:
    crd = load_crd(file)
    (version,) = crd["spec"]["versions"]
    assert crd["metadata"]["name"] == f"{names['plural']}.{c.GROUP}"
    assert (crd["spec"]["group"], crd["spec"]["scope"], crd["spec"]["names"]) == (
        c.GROUP, "Namespaced", names,
    )  # fmt: skip
    assert (version["name"], version["served"], version["storage"]) == (c.VERSION, True, True)
    assert version["subresources"] == {"status": {}}


READY = '.status.conditions[?(@.type=="Ready")].status'


@pytest.mark.parametrize(
    ("file", "columns"),
    [
        pytest.param(
            "budgetwarden.io_slos.yaml",
            [("Objective", ".spec.objective"), ("Window", ".spec.window"),
             ("Budget left", ".status.errorBudget.remainingPercent"),
             ("Fast burn", ".status.errorBudget.fastBurnRate"), ("Ready", READY),
             ("Age", ".metadata.creationTimestamp")],
            id="SLO shows its budget and whether it is ready",
        ),
        pytest.param(
            "budgetwarden.io_errorbudgetpolicies.yaml",
            [("Level", ".status.level"), ("Since", ".status.since"),
             ("Reason", ".status.reason"), ("Age", ".metadata.creationTimestamp")],
            id="policy shows its level and since when",
        ),
        pytest.param(
            "budgetwarden.io_freezeexceptions.yaml",
            [("Max level", ".spec.maxLevel"), ("Expires", ".spec.expiresAt"),
             ("Approved by", ".spec.approvedBy"), ("Age", ".metadata.creationTimestamp")],
            id="exception shows how far it reaches, until when and who approved it",
        ),
    ],
)  # fmt: skip
def test_printer_columns(file: str, columns: list[tuple[str, str]]) -> None:
    (version,) = load_crd(file)["spec"]["versions"]
    printed = [(col["name"], col["jsonPath"]) for col in version["additionalPrinterColumns"]]
    assert printed == columns
