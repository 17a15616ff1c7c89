"""The README's tour works as written: each command, run by the installed console script in a
copy of examples/, exits 0 and prints no traceback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cli_support import CONSOLE_SCRIPT
from tour_support import tour_commands, tour_folder

COMMANDS = tour_commands()


def test_the_tour_has_the_commands_it_promises() -> None:
    assert [argv[1] for argv in COMMANDS] == [
        "validate",
        "generate",
        "generate",
        "budget",
        "import",
    ]


@pytest.mark.parametrize("argv", COMMANDS, ids=[" ".join(argv) for argv in COMMANDS])
def test_each_tour_command_exits_0(argv: list[str], tmp_path: Path) -> None:
    folder = tour_folder(tmp_path)
    done = subprocess.run(
        [str(CONSOLE_SCRIPT), *argv[1:]],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, "Traceback" in done.stderr) == (0, False), done.stdout + done.stderr


def test_generate_in_the_tour_writes_one_rule_file_per_slo(tmp_path: Path) -> None:
    folder = tour_folder(tmp_path)
    (generate,) = [argv for argv in COMMANDS if "-o" in argv]
    subprocess.run([str(CONSOLE_SCRIPT), *generate[1:]], cwd=folder, check=True, timeout=60)
    written = sorted(path.name for path in (folder / "out").iterdir())
    assert written == [
        "shop-checkout-availability.yaml",
        "shop-checkout-latency.yaml",
        "shop-gateway-up.yaml",
        "shop-search-availability.yaml",
    ]
