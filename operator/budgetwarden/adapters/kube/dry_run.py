"""Server-side dry-run apply: would the API server accept this object, as `kubectl apply
--dry-run=server` asks it.

`budgetwarden diff` calls `dry_run_apply` with each SLO of a change before it compares rules, so
schema and CEL validation failures show up before the change is merged. Nothing is persisted.
Failures are `KubeError` subclasses (`Invalid` carries the API server's message naming the
field), with the client's exception chained.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from budgetwarden.adapters.kube.client import TIMEOUT, Kube, Ref
from budgetwarden.adapters.kube.errors import call

APPLY_PATCH = "application/apply-patch+yaml"
# Who a dry run claims the fields as; distinct from the operator's own field manager.
DRY_RUN_FIELD_MANAGER = "budgetwarden-diff"


def dry_run_apply(kube: Kube, ref: Ref, body: Mapping[str, Any]) -> None:
    """Server-side apply `body` with dryRun=All, taking over fields as a real apply would."""
    method, patch = kube.custom.patch_namespaced_custom_object, dict(body)
    options = {"field_manager": DRY_RUN_FIELD_MANAGER, "force": True, "dry_run": "All", **TIMEOUT}
    call(
        f"dry-run apply {ref}",
        lambda: method(*ref.args, patch, _content_type=APPLY_PATCH, **options),
    )
