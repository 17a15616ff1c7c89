"""Kubernetes names for converted SLOs: cleaned, at most 63 characters, and unique in one import.

The importers call `kubernetes_name` for every name and service they make from the source's
free text; `unique_names` then renames any SLO whose namespace/name an earlier document of the
same import already took. Both say what they changed, so the import's result lines can name it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace

from budgetwarden.core.kernel.errors import Problem
from budgetwarden.core.slo.importers.results import Conversion, Resource

MAX_NAME = 63  # DNS-1123 label: object names and label values alike
HASH_LENGTH = 6  # hex digits of the suffix a shortened or colliding name gets
_NOT_ALLOWED = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Named:
    """A name made from source text, and what was done to it (None when it was kept as is)."""

    name: str
    change: str | None = None


def _suffix(text: str) -> str:
    # A hash of the full source text: two long names that share their first 56 characters
    # still end differently, and the same source always gets the same name.
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_LENGTH]


def _with_suffix(name: str, seed: str) -> str:
    head = name[: MAX_NAME - HASH_LENGTH - 1].rstrip("-")
    return f"{head}-{_suffix(seed)}" if head else _suffix(seed)


def kubernetes_name(text: str, what: str = "name") -> Named:
    """`text` as a DNS-1123 label: "My Checkout Service" -> "my-checkout-service"."""
    cleaned = _NOT_ALLOWED.sub("-", text.lower()).strip("-")
    if len(cleaned) > MAX_NAME:
        name = _with_suffix(cleaned, text)
        why = f"{MAX_NAME} characters at most; the suffix keeps it unique"
        return Named(name, f'{what} "{text}" shortened to "{name}" ({why})')
    if not cleaned:
        name = f"slo-{_suffix(text)}"
        return Named(name, f'{what} "{text}" has no letters or digits; named "{name}"')
    if cleaned != text:
        return Named(cleaned, f'{what} "{text}" made a Kubernetes name: "{cleaned}"')
    return Named(cleaned)


def unique_names(conversions: list[tuple[str, Conversion]]) -> list[tuple[str, Conversion]]:
    """Rename SLOs whose namespace/name an earlier document took; the rename is a change.

    Each entry is (where the document is, its conversion), in input order, so the first
    document keeps the name and a rerun gives the same names.
    """
    taken: set[tuple[str, str]] = set()
    renamed: list[tuple[str, Conversion]] = []
    for where, conversion in conversions:
        resources: list[Resource] = []
        changes = list(conversion.changes)
        for resource in conversion.resources:
            metadata = resource["metadata"]
            namespace, name = metadata["namespace"], metadata["name"]
            if (namespace, name) in taken:
                new_name = _free_name(name, f"{where}/{name}", namespace, taken)
                why = f"{namespace}/{name} is already taken by an earlier SLO of this import"
                changes.append(Problem("metadata.name", f'renamed "{new_name}": {why}'))
                resource = {**resource, "metadata": {**metadata, "name": new_name}}
            taken.add((namespace, resource["metadata"]["name"]))
            resources.append(resource)
        renamed.append(
            (where, replace(conversion, resources=tuple(resources), changes=tuple(changes)))
        )
    return renamed


def _free_name(name: str, seed: str, namespace: str, taken: set[tuple[str, str]]) -> str:
    candidate, attempt = _with_suffix(name, seed), 0
    while (namespace, candidate) in taken:
        attempt += 1
        candidate = _with_suffix(name, f"{seed}#{attempt}")
    return candidate
