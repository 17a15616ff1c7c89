"""The README's "A 60-second tour" commands, read from README.md as written, and a place to run
them: a temporary folder holding a copy of the repository's examples/. Used by the tour tests in
tests/unit/test_cli_tour.py (this checkout's `budgetwarden`) and tests/integration/test_packaging.py
(a fresh `pip install`).
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOUR_HEADING = "## A 60-second tour of `budgetwarden generate`"
# The one line of the tour that is not a budgetwarden command: it sets the virtualenv up.
SETUP_LINE = "make venv && source .venv/bin/activate"


def tour_block(readme: Path = ROOT / "README.md") -> list[str]:
    """The lines of the first ```sh block after the tour's heading."""
    text = readme.read_text(encoding="utf-8")
    after = text[text.index(TOUR_HEADING) :]
    block = after[after.index("```sh\n") + len("```sh\n") :]
    return block[: block.index("```")].splitlines()


def tour_commands(readme: Path = ROOT / "README.md") -> list[list[str]]:
    """Each budgetwarden command of the tour as argv, its trailing comment dropped."""
    commands = []
    for line in tour_block(readme):
        if line.strip() == SETUP_LINE:
            continue
        command = line.split(" #", 1)[0]
        argv = shlex.split(command)
        assert argv[:1] == ["budgetwarden"], f"the tour has a line this test cannot run: {line}"
        commands.append(argv)
    return commands


def tour_folder(tmp_path: Path) -> Path:
    """A folder holding a copy of examples/, where the tour's relative paths resolve."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    return tmp_path
