"""Where the offline commands put what they made: stdout, one file, or one file each in a folder.

Used by `generate`, `generate pack` and `import`. `-o PATH` means one file when PATH ends in
`.yaml`/`.yml` or is an existing file (overwritten only with `--force`), a folder otherwise
(created when missing; files of the same names in it are replaced, others left alone). The
target is checked before any work is done (`plan`), and written only once every output is ready
(`write`), so a failed run leaves nothing half-written. File-system problems are raised as
`CliError`, one line naming the path, which `budgetwarden.cli` prints with exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

YAML_SUFFIXES = (".yaml", ".yml")


class CliError(Exception):
    """A usage or file-system problem: one line for the user, exit status 2."""


@dataclass(frozen=True)
class Target:
    """Where outputs go: stdout (`path` None), one file, or a folder of files."""

    path: Path | None = None
    single_file: bool = False


def add_output_arguments(parser: argparse.ArgumentParser, each: str) -> None:
    """`-o/--output PATH` and `--force`; `each` says what one file in a folder holds."""
    parser.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help=f"a .yaml/.yml file (everything in one) or a folder ({each}); default stdout",
    )
    parser.add_argument(
        "--force", action="store_true", help="overwrite the file -o names when it exists"
    )


def plan(output: str | None, force: bool) -> Target:
    """Check `-o` before the work starts; raise CliError naming what is wrong with it."""
    if output is None or output == "-":
        return Target()
    path = Path(output)
    if path.is_dir() or output.endswith(("/", os.sep)):
        return Target(path)
    if path.exists() and not path.is_file():
        raise CliError(f"{output}: not a file or a folder; cannot write there")
    if path.is_file() or path.suffix in YAML_SUFFIXES:
        if path.is_file() and not force:
            raise CliError(f"{output}: the file exists; pass --force to overwrite it")
        if not path.parent.is_dir():
            raise CliError(f"{output}: the folder {path.parent} does not exist")
        return Target(path, single_file=True)
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise CliError(f"{output}: {parent} is a file, not a folder")
            break
    return Target(path)


def write(target: Target, files: dict[str, str], combined: str) -> None:
    """`combined` to stdout or the one file; `files` (name -> text) into the folder."""
    if target.path is None:
        sys.stdout.write(combined)
        return
    try:
        if target.single_file:
            _write_file(target.path, combined)
            return
        target.path.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            _write_file(target.path / name, text)
    except OSError as error:
        where = error.filename or target.path
        raise CliError(f"{where}: cannot write: {error.strerror or error}") from error


def _write_file(path: Path, text: str) -> None:
    # os.open/os.write: a plain open() adds an fstat, an ioctl and a seek per file, which shows
    # at a thousand files.
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        data = memoryview(text.encode("utf-8"))
        while data:
            data = data[os.write(handle, data) :]
    finally:
        os.close(handle)
