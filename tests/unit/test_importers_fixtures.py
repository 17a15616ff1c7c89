"""The Sloth and OpenSLO documents under tests/fixtures/import, converted whole and into rules."""

from __future__ import annotations

import pytest
import yaml

from budgetwarden.core.kernel.errors import Problem
from budgetwarden.core.slo.importers.openslo import catalog, convert_openslo
from budgetwarden.core.slo.importers.sloth import convert_sloth
from budgetwarden.core.slo.rules import build_rule_groups
from budgetwarden.core.slo.spec import parse_slo
from importer_support import FIXTURES, slo_doc


def test_sloth_resource_form_keeps_its_namespace() -> None:
    document = yaml.safe_load((FIXTURES / "sloth-crd.yaml").read_text())
    conversion = convert_sloth(document, "ignored")
    assert (list(conversion.resources), [*conversion.changes, *conversion.reasons]) == (
        [
            slo_doc(
                "search-grpc-availability",
                {
                    "service": "search",
                    "objective": "99.95",
                    "window": "30d",
                    "indicator": {
                        "ratio": {
                            "errors": 'sum(rate(grpc_server_handled_total{job="search",'
                            'grpc_code!="OK"}[{{.window}}]))',
                            "total": 'sum(rate(grpc_server_handled_total{job="search"}'
                            "[{{.window}}]))",
                        }
                    },
                    "alerting": {
                        "labels": {"team": "discovery"},
                        "page": {"labels": {"severity": "critical"}},
                        "ticket": {"disabled": True},
                    },
                },
                namespace="discovery",
                team="discovery",
            )
        ],
        [
            Problem(
                "spec.slos[0].alerting",
                "disabled in Sloth: SLOErrorBudgetSlowBurn turned off "
                "(spec.alerting.ticket.disabled); SLOErrorBudgetLow and SLOMetricsAbsent, "
                "which Sloth does not have, are kept (spec.alerting.budgetLow.disabled and "
                "spec.alerting.metricsAbsent.disabled turn them off)",
            )
        ],
    )


def test_openslo_catalog_collects_slis_and_sources() -> None:
    documents = list(yaml.safe_load_all((FIXTURES / "openslo-shop.yaml").read_text()))
    found = catalog(documents)
    assert (sorted(found.indicators), dict(found.source_types)) == (
        ["cart-good-requests"],
        {"cluster-prometheus": "Prometheus"},
    )


@pytest.mark.parametrize(
    ("fixture", "names"),
    [
        pytest.param("sloth-checkout.yaml", ["checkout-requests-availability"], id="Sloth spec"),
        pytest.param("sloth-crd.yaml", ["search-grpc-availability"], id="Sloth resource"),
        pytest.param(
            "openslo-shop.yaml",
            ["cart-availability", "payments-errors-standard", "payments-errors-strict"],
            id="OpenSLO documents",
        ),
    ],
)
def test_converted_fixtures_generate_rules(fixture: str, names: list[str]) -> None:
    documents = list(yaml.safe_load_all((FIXTURES / fixture).read_text()))
    known = catalog(documents)
    resources = [
        resource
        for document in documents
        for resource in (
            convert_openslo(document, known).resources
            if fixture.startswith("openslo")
            else convert_sloth(document).resources
        )
    ]
    slos = [parse_slo(resource) for resource in resources]
    groups = {slo.metadata.name: len(build_rule_groups(slo)) for slo in slos}
    assert groups == dict.fromkeys(names, 3)
