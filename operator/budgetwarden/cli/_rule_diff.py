"""The rule groups of one SLO, as they are and as a change would make them, as a unified diff.

Used by `budgetwarden diff`. Both sides are written as YAML with sorted keys, because the API
server hands objects back with their keys in its own order, and a reordering is not a change.
Also reads the files an earlier `budgetwarden generate -o DIR` wrote (`--against DIR`): a
PrometheusRule or VMRule object, or a plain Prometheus rule file, per SLO.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from budgetwarden.cli._output import CliError
from budgetwarden.cli._yaml import BlockDumper

NEW_FILE = "/dev/null"


@dataclass(frozen=True)
class RuleDiff:
    """One SLO's rule groups: `current` (None when there are none yet) and `desired`."""

    namespace: str
    name: str  # the rule object's name
    current: list[Any] | None
    desired: list[Any]
    current_label: str  # where `current` came from, for the `---` line

    @property
    def changed(self) -> bool:
        """Whether the change alters the rules (a reordering of keys does not)."""
        return self.current is None or groups_text(self.current) != groups_text(self.desired)

    def text(self) -> str:
        """A unified diff (`--- current` / `+++ generated/<ns>/<name>`), or a no-changes line."""
        where = f"{self.namespace}/{self.name}"
        if not self.changed:
            return f"no changes: {where}\n"
        old = [] if self.current is None else groups_text(self.current).splitlines(keepends=True)
        new = groups_text(self.desired).splitlines(keepends=True)
        old_label = NEW_FILE if self.current is None else self.current_label
        lines = difflib.unified_diff(old, new, old_label, f"generated/{where}")
        return "".join(lines)


def groups_text(groups: list[Any]) -> str:
    """`groups:` as YAML with sorted keys and PromQL expressions as `|` blocks."""
    text: str = yaml.dump(
        {"groups": groups},
        Dumper=BlockDumper,
        sort_keys=True,
        width=1 << 16,
        allow_unicode=True,
    )
    return text


def groups_of(rules: Any) -> list[Any] | None:
    """The rule groups of a PrometheusRule or VMRule object or of a rule file; None otherwise."""
    if not isinstance(rules, dict):
        return None
    holder = rules.get("spec") if "kind" in rules else rules
    groups = holder.get("groups") if isinstance(holder, dict) else None
    return groups if isinstance(groups, list) else None


def read_against(folder: Path, file_name: str) -> list[Any] | None:
    """The groups in `folder/file_name` (None when there is no such file); raise CliError
    naming the file when it cannot be read or holds no rule groups."""
    path = folder / file_name
    if not path.exists():
        return None
    try:
        rules = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise CliError(f"{path}: cannot read: {error}") from error
    except yaml.YAMLError as error:
        raise CliError(f"{path}: not valid YAML: {error}".replace("\n", " ")) from error
    groups = groups_of(rules)
    if groups is None:
        raise CliError(
            f"{path}: holds no rule groups; expected what `budgetwarden generate -o` writes"
        )
    return groups


def against_folder(text: str) -> Path:
    """The `--against` folder; raise CliError when it is not one."""
    folder = Path(text)
    if not folder.is_dir():
        problem = "no such folder" if not folder.exists() else "not a folder"
        raise CliError(f"--against {text}: {problem}; name the folder `generate -o` wrote")
    return folder
