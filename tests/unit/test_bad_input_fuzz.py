"""Nothing a user can write makes parsing raise anything but SpecError: a fuzz run over junk
in every field of a valid resource, and every shipped example parses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bad_input_support import (
    EXAMPLES,
    EXCEPTION_RESOURCE,
    POLICY_RESOURCE,
    SLO_RESOURCE,
    changed,
    parse_slo_and_queries,
)
from budgetwarden.core.freeze.exception_spec import FreezeException, parse_exception
from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.core.policy.spec import ErrorBudgetPolicy, parse_policy
from budgetwarden.core.slo.spec import SLO, parse_slo


def paths(node: Any, prefix: str = "") -> Iterator[str]:
    """Every dotted path in a resource, containers included."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, child in items:
        path = f"{prefix}.{key}" if prefix else str(key)
        yield path
        if isinstance(child, dict | list):
            yield from paths(child, path)


# What YAML can hand us: scalars (dates included), lists and mappings of them.
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
JUNK = st.recursive(
    SCALARS | st.dates() | st.datetimes(),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(SCALARS.map(str) | st.integers(), inner, max_size=3)
    ),
    max_leaves=6,
)
RESOURCES = [
    (parse_slo_and_queries, SLO_RESOURCE),
    (parse_policy, POLICY_RESOURCE),
    (parse_exception, EXCEPTION_RESOURCE),
]


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_junk_in_any_field_is_a_spec_error_or_a_valid_resource(data: st.DataObject) -> None:
    parse, resource = data.draw(st.sampled_from(RESOURCES))
    path = data.draw(st.sampled_from(sorted(paths(resource))))
    mangled = changed(resource, path, data.draw(JUNK))
    try:
        parse(mangled)
    except SpecError as error:
        assert error.problems
        assert all(p.field and p.message for p in error.problems)


PARSERS: dict[str, tuple[Callable[..., Any], type]] = {
    "SLO": (parse_slo, SLO),
    "ErrorBudgetPolicy": (parse_policy, ErrorBudgetPolicy),
    "FreezeException": (parse_exception, FreezeException),
}


@pytest.mark.parametrize(
    "path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: f"example {p.name} parses"
)
def test_every_example_parses(path: Path) -> None:
    documents = [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    assert documents
    for document in documents:
        parse, model = PARSERS[document["kind"]]
        parsed = parse(document)
        assert isinstance(parsed, model)
        assert parsed.metadata.name == document["metadata"]["name"]
