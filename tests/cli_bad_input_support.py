"""The bad inputs of tests/unit/test_cli_bad_input.py: a workspace of files that are wrong in one
way each, and `Case`, one row of the table (argv with {w} for the workspace, the exit status
docs/cli.md documents, and the one line expected, whole or a distinctive part of it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cli_support import EXAMPLES

HEAD = "apiVersion: budgetwarden.io/v1alpha1\n"
GOOD = (EXAMPLES / "01-availability-ratio.yaml").read_text()
SPEC = """spec:
  service: checkout
  objective: "99.9"
  window: 30d
  indicator:
    ratio:
      errors: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
      total: sum(rate(http_requests_total[{{.window}}]))
"""

FILES: dict[str, str | bytes] = {
    "good.yaml": GOOD,
    "dup/again.yaml": GOOD,
    "policy.yaml": (EXAMPLES / "05-policy.yaml").read_text(),
    "empty.yaml": "",
    "comments.yaml": "# nothing but a comment\n",
    "deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
    "list.yaml": "- one\n- two\n",
    "broken.yaml": "a: [1,\n",
    "binary.bin": bytes(range(256)),
    "nul.yaml": "a: b\0\n",
    "latin1.yaml": "name: caf\xe9\n".encode("latin-1"),
    "tab.yaml": HEAD + "kind: SLO\nmetadata:\n\tname: x\n",
    "deep.yaml": "[" * 2000,
    "tag.yaml": "a: !!python/object:os.system x\n",
    "no-api.yaml": "kind: SLO\nmetadata: {name: x}\n" + SPEC,
    "openslo.yaml": "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec: {}\n",
    "old-api.yaml": "apiVersion: budgetwarden.io/v1\nkind: SLO\nmetadata: {name: x}\n",
    "slo-case.yaml": HEAD + "kind: Slo\nmetadata: {name: x}\n",
    "plural.yaml": HEAD + "kind: ErrorBudgetPolicies\nmetadata: {name: x}\n",
    "no-kind.yaml": HEAD + "metadata: {name: x}\n",
    "typo.yaml": HEAD + "kind: SLO\nmetadata: {name: x}\n" + SPEC.replace("objective", "objectiv"),
    "no-metadata.yaml": HEAD + "kind: SLO\n" + SPEC,
    "bad-name.yaml": HEAD + "kind: SLO\nmetadata: {name: Checkout_1}\n" + SPEC,
    "low.yaml": HEAD + "kind: SLO\nmetadata: {name: low}\n" + SPEC.replace('"99.9"', '"90"'),
    "day.yaml": HEAD + "kind: SLO\nmetadata: {name: day}\n" + SPEC.replace("30d", "1d"),
    "exists.yaml": "already here\n",
    "exists": "already here, no suffix\n",
    "notes.txt": "not YAML at all: [\n",
    "empty-dir/.keep/x.yaml": GOOD,  # hidden: skipped
    "text-only/readme.txt": "nothing to see\n",
}


def make_workspace(root: Path) -> Path:
    """Write FILES under `root`; return it."""
    for name, content in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    (root / "nothing").mkdir()
    (root / "odd-names").mkdir()
    (root / "odd-names" / os.fsdecode(b"caf\xe9.yaml")).write_text("a: [1,\n")
    return root


@dataclass(frozen=True)
class Case:
    """One row: the command line, its exit status, the line expected on stdout or stderr."""

    argv: str
    code: int
    line: str
    stdin: bytes | None = None
    subprocess: bool = False  # run the console script: only there does a traceback show as such

    def args(self, workspace: Path) -> list[str]:
        """argv with the workspace filled in; `''` stands for an empty argument."""
        return [
            "" if part == "''" else part.replace("{w}", str(workspace))
            for part in self.argv.split()
        ]
