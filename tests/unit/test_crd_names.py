"""The CRDs' names, versions and printer columns: named by the conventions in core, one served
version with a status subresource, and the columns `kubectl get` shows.
"""

from __future__ import annotations

from typing import Any

import pytest

from budgetwarden.core.kernel import conventions as c
from crd_support import load_crd

CRD_NAMES = [
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
]  # fmt: skip


@pytest.mark.parametrize(("file", "names"), CRD_NAMES)
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

PRINTER_COLUMNS = [
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
]  # fmt: skip


@pytest.mark.parametrize(("file", "columns"), PRINTER_COLUMNS)
def test_printer_columns(file: str, columns: list[tuple[str, str]]) -> None:
    (version,) = load_crd(file)["spec"]["versions"]
    printed = [(col["name"], col["jsonPath"]) for col in version["additionalPrinterColumns"]]
    assert printed == columns
