"""The pre-commit hook in .pre-commit-hooks.yaml: what a team gets from `repo:` and `rev:`.

The definition's own `entry` and `args` run on a commit's files as pre-commit passes them; then
pre-commit itself installs the hook from a copy of this checkout (a git repository of its own
under the test's temporary folder) and runs it with `try-repo`, as a team's commit would.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from cli_support import EXAMPLES, ROOT

HOOKS = ROOT / ".pre-commit-hooks.yaml"
BIN = Path(sys.executable).parent
BAD_LINE = (
    "bad.yaml: SLO/checkout-availability: spec.objective: must be below 100 (a 100% objective "
    'leaves no error budget); got "100"'
)
# What pre-commit needs to build and install the hook's package.
PACKAGE_FILES = ("operator", "pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml")


def hook() -> dict[str, Any]:
    """The one hook the file defines."""
    hooks: list[dict[str, Any]] = yaml.safe_load(HOOKS.read_text())
    assert [h["id"] for h in hooks] == ["budgetwarden-validate"]
    return hooks[0]


@pytest.fixture
def commit(tmp_path: Path) -> Path:
    """A folder with a good SLO, the same SLO with a 100% objective, and another YAML file."""
    good = (EXAMPLES / "01-availability-ratio.yaml").read_text()
    (tmp_path / "good.yaml").write_text(good)
    (tmp_path / "bad.yaml").write_text(good.replace('objective: "99.5"', 'objective: "100"'))
    (tmp_path / "deploy.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\n")
    return tmp_path


def test_the_hook_is_validate_on_yaml_files_all_at_once() -> None:
    definition = hook()
    assert {key: definition[key] for key in ("entry", "language", "pass_filenames")} == {
        "entry": "budgetwarden validate",
        "language": "python",
        "pass_filenames": True,
    }
    assert definition["require_serial"] is True  # duplicates across files are found
    names = ("a.yaml", "slos/b.yml", "c.json", "yaml.txt")
    matched = [name for name in names if re.search(definition["files"], name)]
    assert matched == ["a.yaml", "slos/b.yml"]


@pytest.mark.parametrize(
    ("files", "code", "lines"),
    [
        pytest.param(
            ["good.yaml", "deploy.yaml"], 0,
            ["ok good.yaml (1 resource)", "ok deploy.yaml (0 resources)"],
            id="a good SLO and another YAML file pass",
        ),
        pytest.param(["deploy.yaml"], 0, ["ok deploy.yaml (0 resources)"],
                     id="a commit without resources of ours passes"),
        pytest.param(["good.yaml", "bad.yaml"], 1, ["ok good.yaml (1 resource)", BAD_LINE],
                     id="a bad SLO fails with one line naming the field"),
    ],
)  # fmt: skip
def test_the_hooks_entry_on_a_commits_files(
    commit: Path, files: list[str], code: int, lines: list[str]
) -> None:
    definition = hook()
    command = shlex.split(definition["entry"]) + definition.get("args", []) + files
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(command, cwd=commit, env=env, capture_output=True, text=True,
                          check=False, timeout=60)  # fmt: skip
    assert (done.returncode, done.stdout.splitlines(), done.stderr) == (code, lines, "")


def _git(folder: Path, *args: str) -> None:
    identity = ["-c", "user.name=budgetwarden", "-c", "user.email=ci@budgetwarden.invalid"]
    subprocess.run(["git", *identity, *args], cwd=folder, check=True, capture_output=True)


@pytest.mark.packaging  # pre-commit installs the hook's package from the package index
@pytest.mark.timeout(600)
def test_pre_commit_runs_the_hook_from_the_repository(commit: Path, tmp_path: Path) -> None:
    repo = tmp_path / "budgetwarden"
    repo.mkdir()
    for name in PACKAGE_FILES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, repo / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))  # fmt: skip
        else:
            shutil.copy2(ROOT / name, repo / name)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "the hook's repository")
    _git(commit, "init", "-q")
    _git(commit, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}

    def try_repo(*files: str) -> subprocess.CompletedProcess[str]:
        command = [str(BIN / "pre-commit"), "try-repo", str(repo), "budgetwarden-validate",
                   "--verbose", "--files", *files]  # fmt: skip
        return subprocess.run(command, cwd=commit, env=env, capture_output=True, text=True,
                              check=False, timeout=540)  # fmt: skip

    passed = try_repo("good.yaml", "deploy.yaml")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "ok good.yaml (1 resource)" in passed.stdout.splitlines()
    failed = try_repo("good.yaml", "bad.yaml")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert BAD_LINE in failed.stdout.splitlines()
