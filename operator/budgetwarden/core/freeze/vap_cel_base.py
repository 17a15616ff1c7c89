"""The building blocks of budgetwarden's CEL: literals, shortening, map comparison, and which
workloads a target line selects. core/freeze/vap_cel.py (re-exporting the names others use),
core/freeze/vap_exceptions.py and core/freeze/vap_policy_guard.py write their CEL with these.

A target line is `Kind/name` or `Kind` followed by a space and a selector such as
`app=checkout,tier!=canary|beta` (`k=v1|v2` In, `k!=v1|v2` NotIn, `k` Exists, `!k`
DoesNotExist).
"""

from __future__ import annotations

from collections.abc import Iterable

FREEZES = "['PartialFreeze', 'FullFreeze']"


def lit(value: str) -> str:
    """A CEL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


def list_literal(values: Iterable[str]) -> str:
    return "[" + ", ".join(lit(v) for v in sorted(values)) + "]"


def clip(expr: str, width: int | str) -> str:
    """CEL for admission_message.clip of a printable string."""
    cut = width - 3 if isinstance(width, int) else f"{width} - 3"
    return f"({expr}.size() <= {width} ? {expr} : {expr}.substring(0, {cut}) + '...')"


def same_except(a: str, b: str, ignored: str) -> str:
    """Two maps are equal apart from the keys in `ignored` (a CEL list)."""
    return (
        f"{a}.all(k, k in {ignored} || (k in {b} && {b}[k] == {a}[k]))"
        f" && {b}.all(k, k in {ignored} || k in {a})"
    )


def _requirement(r: str, labels: str) -> str:
    key_ne, values_ne = f"{r}.split('!=')[0]", f"{r}.split('!=')[1].split('|')"
    key_eq, values_eq = f"{r}.split('=')[0]", f"{r}.split('=')[1].split('|')"
    return (
        f"({r}.startsWith('!') ? !({r}.substring(1) in {labels})"
        f" : {r}.contains('!=') ? (!({key_ne} in {labels}) || !({labels}[{key_ne}] in {values_ne}))"
        f" : {r}.contains('=') ? ({key_eq} in {labels} && {labels}[{key_eq}] in {values_eq})"
        f" : {r} in {labels})"
    )


def target_matches(t: str, labels: str) -> str:
    """A target line names the workload, or is of its kind with a selector its labels match."""
    selector = f"{t}.split(' ')"
    return (
        f"({t} == variables.workload || ({selector}[0] == variables.kind"
        f" && ({selector}.size() == 1"
        f" || {selector}[1].split(',').all(r, {_requirement('r', labels)}))))"
    )
