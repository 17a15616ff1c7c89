"""Alert packs -> Prometheus rule groups or PrometheusRule objects: the entry points.

`budgetwarden generate pack` calls `build_pack_groups` (a plain rule file's `groups:`) or
`build_pack_prometheus_rule` (one object per pack). Every expression is parsed before it is
returned, as the SLO generator does, so a bad setting fails here and not in Prometheus. The
output is deterministic: the chart's rendering is compared with it whole.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

from budgetwarden.core.kernel import conventions
from budgetwarden.core.packs import names
from budgetwarden.core.packs.alerts import Rule
from budgetwarden.core.packs.model_quality import model_quality_rules
from budgetwarden.core.packs.resources import resources_rules
from budgetwarden.core.packs.settings import PackSettings
from budgetwarden.core.slo.promql import QueryError, parse

PACK_RULES: Final[Mapping[str, Callable[[PackSettings], list[Rule]]]] = MappingProxyType(
    {
        names.PACK_RESOURCES: resources_rules,
        names.PACK_MODEL_QUALITY: model_quality_rules,
    }
)


def build_pack_group(pack: str, settings: PackSettings) -> dict[str, Any]:
    """The one rule group of `pack`; ValueError for an unknown pack or an expression that does
    not parse."""
    if pack not in PACK_RULES:
        raise ValueError(f'must be one of {", ".join(PACK_RULES)}; got "{pack}"')
    rules = PACK_RULES[pack](settings)
    for rule in rules:
        try:
            parse(rule["expr"])
        except QueryError as error:
            raise ValueError(
                f"{pack} pack, alert {rule['alert']}: the expression {error}"
            ) from error
    return {"name": names.group_name(pack), "rules": rules}


def build_pack_groups(packs: Sequence[str], settings: PackSettings) -> list[dict[str, Any]]:
    """The `groups:` of a plain Prometheus rule file holding `packs`, in the order given."""
    return [build_pack_group(pack, settings) for pack in packs]


def build_pack_prometheus_rule(pack: str, settings: PackSettings) -> dict[str, Any]:
    """A PrometheusRule holding `pack`; without a namespace, for `kubectl apply -n`."""
    return {
        "apiVersion": conventions.PROMETHEUS_RULE_API_VERSION,
        "kind": conventions.PROMETHEUS_RULE_KIND,
        "metadata": {
            "name": names.group_name(pack),
            "labels": {
                conventions.LABEL_MANAGED_BY: conventions.MANAGED_BY_VALUE,
                names.LABEL_OBJECT_PACK: pack,
            },
        },
        "spec": {"groups": [build_pack_group(pack, settings)]},
    }
