"""Sloth specs converted into SLO resources, and what each leaves behind."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from budgetwarden.core.kernel.errors import Problem
from budgetwarden.core.slo.importers.sloth import convert_sloth
from importer_support import ERRORS, RAW_WHY, TOTAL, ratio_spec, slo_doc


def _sloth(*slos: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"version": "prometheus/v1", "service": "api", **top, "slos": list(slos)}


def _events(**slo: Any) -> dict[str, Any]:
    return {"sli": {"events": {"error_query": ERRORS, "total_query": TOTAL}}, **slo}


SLOTH_CONVERSIONS = [
    pytest.param(
        _sloth(_events(name="requests", objective=99.95)),
        timedelta(days=30),
        ([slo_doc("api-requests", ratio_spec("99.95"))], []),
        id="an events SLI becomes a ratio and the float objective a string",
    ),
    pytest.param(
        _sloth(_events(name="Requests_OK", objective=99)),
        timedelta(days=28),
        (
            [slo_doc("api-requests-ok", ratio_spec("99", "28d"))],
            [
                Problem(
                    "slos[0].name",
                    'name "api-Requests_OK" made a Kubernetes name: "api-requests-ok"',
                )
            ],
        ),
        id="the name is made a Kubernetes name and the window comes from the caller",
    ),
    pytest.param(
        _sloth(
            _events(
                name="requests",
                objective=99.9,
                labels={"tier": 1},
                alerting={
                    "name": "ApiErrors",
                    "annotations": {"summary": "{{$labels.sloth_slo}} burns"},
                    "page_alert": {"labels": {"severity": "page"}},
                    "ticket_alert": {"disable": True},
                },
            ),
            labels={"owner": "team-a", "slack": "#team a"},
        ),
        timedelta(days=30),
        (
            [
                slo_doc(
                    "api-requests",
                    ratio_spec(
                        "99.9",
                        alerting={
                            "labels": {"owner": "team-a", "slack": "#team a", "tier": "1"},
                            "page": {
                                "labels": {"severity": "page"},
                                "annotations": {"summary": "{{$labels.slo_name}} burns"},
                            },
                            "ticket": {
                                "annotations": {"summary": "{{$labels.slo_name}} burns"},
                                "disabled": True,
                            },
                        },
                    ),
                    owner="team-a",
                    tier="1",
                )
            ],
            [
                Problem(
                    "slos[0].alerting.name",
                    "not kept: budgetwarden names its burn-rate alerts "
                    "SLOErrorBudgetFastBurn and SLOErrorBudgetSlowBurn",
                ),
                Problem(
                    "slos[0].alerting",
                    "disabled in Sloth: SLOErrorBudgetSlowBurn turned off "
                    "(spec.alerting.ticket.disabled); SLOErrorBudgetLow and SLOMetricsAbsent, "
                    "which Sloth does not have, are kept (spec.alerting.budgetLow.disabled and "
                    "spec.alerting.metricsAbsent.disabled turn them off)",
                ),
            ],
        ),
        id="labels go to the alerts, valid ones to metadata, and Sloth label names are renamed",
    ),
    pytest.param(
        _sloth(
            {"name": "ratio", "objective": 99, "sli": {"raw": {"error_ratio_query": "x"}}},
            _events(name="ok", objective=99),
        ),
        timedelta(days=30),
        (
            [slo_doc("api-ok", ratio_spec("99"))],
            [Problem("slos[0].sli.raw", f"SLO ratio not converted: {RAW_WHY}")],
        ),
        id="a raw SLI is skipped and the next SLO still converts",
    ),
    pytest.param(
        _sloth({"name": "up", "objective": 99, "sli": {"plugin": {"id": "x/up"}}}),
        timedelta(days=30),
        (
            [],
            [
                Problem(
                    "slos[0].sli.plugin",
                    'SLO up not converted: SLI plugins cannot be converted (plugin "x/up" runs Go '
                    "code inside Sloth); write the error and total queries it produces as "
                    "sli.events",
                )
            ],
        ),
        id="a plugin SLI is skipped",
    ),
    pytest.param(
        _sloth(_events(name="all", objective=100)),
        timedelta(days=30),
        (
            [],
            [
                Problem(
                    "slos[0]",
                    "SLO all not converted: the SLO is refused: spec.objective: must be below "
                    '100 (a 100% objective leaves no error budget); got "100"',
                )
            ],
        ),
        id="a 100% objective, legal in Sloth, is reported with the SLO parser's message",
    ),
    pytest.param(
        _sloth(_events(name="x", objective="lots")),
        timedelta(days=30),
        ([], [Problem("slos[0].objective", "SLO x not converted: not a number")]),
        id="an objective that is not a number",
    ),
    pytest.param(
        {"version": "prometheus/v1", "service": "api", "slo_plugins": {"chain": []}},
        timedelta(days=30),
        ([], [Problem("slos", "no SLOs to convert")]),
        id="a spec without SLOs",
    ),
    pytest.param(
        {"apiVersion": "sloth.slok.dev/v1", "kind": "AlertWindows"},
        timedelta(days=30),
        (
            [],
            [
                Problem(
                    "version",
                    'not a Sloth spec: expected version "prometheus/v1" or kind '
                    "PrometheusServiceLevel",
                )
            ],
        ),
        id="a document that is no Sloth spec",
    ),
]


@pytest.mark.parametrize(("document", "window", "expected"), SLOTH_CONVERSIONS)
def test_convert_sloth(
    document: dict[str, Any], window: timedelta, expected: tuple[list[Any], list[Problem]]
) -> None:
    conversion = convert_sloth(document, "default", window)
    assert (list(conversion.resources), [*conversion.changes, *conversion.reasons]) == expected
