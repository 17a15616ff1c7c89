"""What the CRD tests (tests/unit/test_crd_*.py) read the CRDs in crds/ and the pydantic models
with: each side's schema, and the differences between them by path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import pytest
import yaml
from pydantic import BaseModel

from budgetwarden.core.freeze.exception_spec import FreezeException
from budgetwarden.core.kernel.durations import DURATION_PATTERN
from budgetwarden.core.kernel.quantities import (
    FACTOR_PATTERN,
    PERCENT_PATTERN,
    Duration,
    Factor,
    Percent,
)
from budgetwarden.core.policy.spec import ErrorBudgetPolicy
from budgetwarden.core.slo.spec import SLO

CRDS = Path(__file__).parents[1] / "crds"
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
