"""The fast rule writer prints exactly what PyYAML prints, or hands the document to PyYAML."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from budgetwarden.cli import _yaml


def pyyaml(data: Any) -> str:
    """The reference: PyYAML with the same settings."""
    text: str = yaml.dump(
        data, Dumper=_yaml.BlockDumper, sort_keys=False, width=1 << 16, allow_unicode=True
    )
    return text


STRINGS = [
    pytest.param("budgetwarden_slo:errors:rate5m", id="colons inside a name stay plain"),
    pytest.param('sum(rate(x{code=~"5.."}[5m]))', id="PromQL with braces stays plain"),
    pytest.param("(a) / (b)", id="an opening parenthesis first stays plain"),
    pytest.param("checkout: SLO x burns", id="colon-space is quoted"),
    pytest.param("a #b", id="space-hash is quoted"),
    pytest.param("{{ $value | humanize }}", id="a template first is quoted"),
    pytest.param("yes", id="a YAML 1.1 boolean is quoted"),
    pytest.param("Off", id="a capitalised boolean is quoted"),
    pytest.param("1", id="an integer-looking string is quoted"),
    pytest.param("1.5", id="a float-looking string is quoted"),
    pytest.param(".inf", id="infinity is quoted"),
    pytest.param("1_000", id="an underscored integer is quoted"),
    pytest.param("190:20:30", id="a sexagesimal number is quoted"),
    pytest.param("2026-01-01", id="a date is quoted"),
    pytest.param("null", id="null is quoted"),
    pytest.param("~", id="a tilde is quoted"),
    pytest.param("", id="the empty string is quoted"),
    pytest.param("- x", id="a dash-space first is quoted"),
    pytest.param("-x", id="a dash first"),
    pytest.param("x:", id="a colon last is quoted"),
    pytest.param("...", id="a document end marker is quoted"),
    pytest.param(" lead", id="a leading space is quoted"),
    pytest.param("trail ", id="a trailing space is quoted"),
    pytest.param("it's", id="an apostrophe inside stays plain"),
    pytest.param("'q'", id="a quote first is quoted"),
    pytest.param("tab\tx", id="a tab"),
    pytest.param("ünïcode", id="non-ASCII text"),
    pytest.param("line\u2028break", id="a Unicode line separator"),
    pytest.param("a\nb", id="two lines become a literal block"),
    pytest.param("a\n  b\nc", id="indented lines inside a literal block"),
    pytest.param(" a\nb", id="a block starting with a space needs an indentation hint"),
    pytest.param("a \nb", id="a trailing space inside a block"),
    pytest.param("a\n\nb", id="an empty line inside a block"),
    pytest.param("a\n", id="a final line break"),
]


@pytest.mark.parametrize("text", STRINGS)
@pytest.mark.parametrize(
    "shape",
    [
        pytest.param(lambda v: {"key": v}, id="as a value"),
        pytest.param(lambda v: {"key": [v, "x"]}, id="in a list"),
        pytest.param(lambda v: {"l": [{"a": v, "b": {"c": v}}]}, id="in a list of mappings"),
        pytest.param(lambda v: {v: 1}, id="as a key"),
    ],
)
def test_same_text_as_pyyaml(text: str, shape: Any) -> None:
    data = shape(text)
    assert _yaml.dump(data) == pyyaml(data)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"a": {}, "b": [], "c": None, "d": True, "e": 3}, id="empties and scalars"),
        pytest.param({"a": [[1, 2]]}, id="a nested list"),
        pytest.param({"a": 1.5}, id="a float"),
        pytest.param({1: "a"}, id="a number as key"),
        pytest.param(["a", "b"], id="a list at the top"),
        pytest.param({}, id="an empty document"),
    ],
)
def test_other_shapes_match_too(data: Any) -> None:
    assert _yaml.dump(data) == pyyaml(data)
