"""`rules-sync`'s loop: when it reloads Prometheus. Kubernetes and Prometheus are stand-ins at the
adapter boundary; the whole sync against a real apiserver and Prometheus is in
tests/e2e/test_rules_sync.py.

A reload makes Prometheus find its Alertmanagers again, and an alert that starts firing in
those seconds is delivered only at its next resend, a minute later: so a re-list that changes
no file must not reload.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from budgetwarden.cli.rules_sync import RulesSync

RULE = {
    "metadata": {"namespace": "shop", "name": "checkout"},
    "spec": {"groups": [{"name": "g", "rules": [{"record": "r", "expr": "vector(1)"}]}]},
}


class _Stop(Exception):
    """Ends the loop after the planned lists."""


class StandInKube:
    """Answers each list with the next planned item list; the watches end at once, empty."""

    def __init__(self, lists: list[list[dict[str, Any]]]) -> None:
        self.lists = lists

    def list(self, *_: Any, **__: Any) -> tuple[list[dict[str, Any]], str]:
        if not self.lists:
            raise _Stop
        return self.lists.pop(0), "1"

    def watch(self, *_: Any, **__: Any) -> list[tuple[str, dict[str, Any]]]:
        return []


class CountingReloader:
    def __init__(self) -> None:
        self.reloads = 0

    def reload(self) -> None:
        self.reloads += 1


def reloads_over(lists: list[list[dict[str, Any]]], rules_dir: Path) -> int:
    reloader = CountingReloader()
    args = argparse.Namespace(rules_dir=rules_dir, namespace=None, selector="", resync=1)
    sync = RulesSync(StandInKube(lists), reloader, args)  # type: ignore[arg-type]
    with pytest.raises(_Stop):
        sync.forever()
    return reloader.reloads


def test_re_lists_that_change_no_file_do_not_reload(tmp_path: Path) -> None:
    assert reloads_over([[RULE], [RULE], [RULE]], tmp_path) == 1  # the start-up reload only


def test_a_re_list_that_changes_a_file_reloads(tmp_path: Path) -> None:
    assert reloads_over([[], [RULE], [RULE], []], tmp_path) == 3  # start-up, written, removed
    assert not list(tmp_path.glob("*.yaml"))
