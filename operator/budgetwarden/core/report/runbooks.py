"""Which loaded alerting rules lack a usable runbook: no `runbook_url`, an empty one, or a
placeholder address (a documentation domain such as example.com, or an unfilled `{page}`).

Called by `review`. The shipped default (core/kernel/conventions.py DEFAULT_RUNBOOK_BASE, the
runbooks/ pages of this project) is a real page, not a placeholder.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from budgetwarden.core.kernel.runbooks import PAGE_PLACEHOLDER
from budgetwarden.core.report.model import RUNBOOK_ANNOTATION
from budgetwarden.core.report.thresholds import PLACEHOLDER_DOMAINS, PLACEHOLDER_SUFFIXES


def runbook_problem(annotations: Mapping[str, str]) -> str | None:
    """What is wrong with a rule's runbook link, in a few words; None when it looks usable."""
    url = annotations.get(RUNBOOK_ANNOTATION)
    if url is None:
        return "no runbook_url annotation"
    if not url.strip():
        return "empty runbook_url"
    if PAGE_PLACEHOLDER in url:
        return f"unfilled {PAGE_PLACEHOLDER} in {url}"
    if "{{" in url:
        return None  # a template filled per alert: only the alert itself can tell
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return f"not an http(s) address: {url}"
    if _placeholder(host):
        return f"placeholder address: {url}"
    return None


def _placeholder(host: str) -> bool:
    domain = any(host == d or host.endswith(f".{d}") for d in PLACEHOLDER_DOMAINS)
    return domain or host.endswith(PLACEHOLDER_SUFFIXES) or host in ("localhost", "example")
