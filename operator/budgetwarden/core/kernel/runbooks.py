"""Where the runbook links budgetwarden writes point: alerts, Events and admission denials.

The pages ship in this repository's runbooks/ folder. An organisation that serves its own copy
(a fork, an internal Git host, a wiki) gives the operator one base URL
(BUDGETWARDEN_RUNBOOK_BASE_URL or --runbook-base-url, read by runtime/config.py;
`budgetwarden generate --runbook-base-url`), and every link is built here from that base and a
page path such as `alerts/SLOErrorBudgetFastBurn`, `freeze` or `reasons/HeldAtThaw`. Two shapes:

- a folder of Markdown files (a fork on GitHub or GitLab): `<base>/<page>.md`;
- anything else, a wiki say: a base with `{page}` where the page path goes, and no `.md`
  (`https://wiki.example.com/sre/budgetwarden/{page}`).

The rule generator (core/slo/runbook_links.py), enforcement's Events (core/freeze/enforcement.py,
thaw.py, runtime/drift.py) and admission's denials (core/freeze/view_from_status.py,
policy_guard.py) take a `RunbookLinks`; each defaults to the shipped pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from budgetwarden.core.kernel import conventions as c

PAGE_PLACEHOLDER: Final = "{page}"
# Denials carry links of at most 200 characters (core/freeze/admission_message.py MAX_URL) and
# fall back to the shipped page beyond that; a shorter base keeps every link in.
MAX_BASE_LENGTH: Final = 160
_URL = re.compile(r"https?://[^\s/]+\S*")


@dataclass(frozen=True)
class RunbookLinks:
    """Links to the runbook pages under one base URL."""

    base: str = c.DEFAULT_RUNBOOK_BASE

    def page(self, page: str) -> str:
        """The link to runbooks/<page>.md: `{page}` filled in, or `<base>/<page>.md`."""
        if PAGE_PLACEHOLDER in self.base:
            return self.base.replace(PAGE_PLACEHOLDER, page)
        return f"{self.base}/{page}.md"

    def alert(self, alert: str) -> str:
        """The page of a generated alert: runbooks/alerts/<AlertName>.md."""
        return self.page(f"alerts/{alert}")

    def reason(self, reason: str) -> str:
        """The page of a condition or Event reason: runbooks/reasons/<Reason>.md."""
        return self.page(f"reasons/{reason}")

    @property
    def freeze(self) -> str:
        """The deployment-freeze page every denial and freeze Event links."""
        return self.page(c.RUNBOOK_FREEZE)


SHIPPED_RUNBOOKS: Final = RunbookLinks()


def parse_runbook_base(text: str) -> RunbookLinks:
    """ "https://git.example.com/sre/budgetwarden/-/blob/main/runbooks" -> RunbookLinks;
    ValueError saying what is wrong (the caller names the flag or variable)."""
    base = text.strip().removesuffix("/")
    if not _URL.fullmatch(base):
        raise ValueError(
            f"must be an http:// or https:// URL without spaces, such as "
            f'https://github.com/acme/budgetwarden/blob/main/runbooks; got "{text[:80]}"'
        )
    braces = base.replace(PAGE_PLACEHOLDER, "", 1)
    if "{" in braces or "}" in braces:
        raise ValueError(
            f"may hold {PAGE_PLACEHOLDER} once, where the page goes, and no other braces "
            f'(alert annotations are templates); got "{text[:80]}"'
        )
    if len(base) > MAX_BASE_LENGTH:
        raise ValueError(
            f"must be at most {MAX_BASE_LENGTH} characters, so that links fit in admission "
            f"denials; got {len(base)}"
        )
    return RunbookLinks(base)
