"""Files in for the offline commands (generate, validate, import).

Reads FILE|DIR arguments (and `-` for stdin) into YAML documents that remember where they came
from, and names them for error lines (`FILE: SLO/name: spec.x: message`). Nothing here raises
for a bad input: a path that cannot be read is an I/O error (exit status 2), a file that is not
YAML text is a problem of the input (exit status 1); both come back as one line each.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from budgetwarden.cli import _yaml
from budgetwarden.cli._output import YAML_SUFFIXES, CliError, Target, write
from budgetwarden.core.kernel.conventions import (
    API_VERSION,
    GROUP,
    KIND_EXCEPTION,
    KIND_POLICY,
    KIND_SLO,
)
from budgetwarden.core.kernel.durations import parse_duration
from budgetwarden.core.kernel.errors import Problem
from budgetwarden.core.kernel.runbooks import SHIPPED_RUNBOOKS, RunbookLinks, parse_runbook_base

# The C implementations are several times faster; fall back when libyaml is missing.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
KINDS = (KIND_SLO, KIND_POLICY, KIND_EXCEPTION)
STDIN = "-"
STDIN_LABEL = "<stdin>"


@dataclass(frozen=True)
class Document:
    """One YAML document of an input file; `index` counts from 1 within the file."""

    path: str
    index: int
    body: Any

    @property
    def label(self) -> str:
        """How error lines name the document: "SLO/checkout" or "document 2"."""
        body = self.body if isinstance(self.body, dict) else {}
        metadata = body.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        kind = body.get("kind")
        kind = kind if isinstance(kind, str) and kind else None
        if kind and isinstance(name, str) and name:
            return f"{kind}/{name}"
        return f"{kind} (document {self.index})" if kind else f"document {self.index}"

    def line(self, problem: Problem | str) -> str:
        """An error line for a problem in this document."""
        return f"{self.path}: {self.label}: {problem}"


@dataclass
class Inputs:
    """What the FILE|DIR arguments held: documents, files read, and one line per failure."""

    documents: list[Document] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # not YAML text: exit status 1
    io_errors: list[str] = field(default_factory=list)  # missing or unreadable: exit status 2


def _visible(name: str) -> bool:
    return not name.startswith(".")


def _folder_files(folder: Path, inputs: Inputs) -> list[Path]:
    """YAML files under `folder`, in name order; hidden files and folders are skipped."""
    found: list[Path] = []

    def unreadable(error: OSError) -> None:
        inputs.io_errors.append(f"{error.filename}: cannot read: {error.strerror or error}")

    for root, folders, names in os.walk(folder, onerror=unreadable):
        folders[:] = [name for name in folders if _visible(name)]
        found += (
            Path(root, name) for name in names if _visible(name) and name.endswith(YAML_SUFFIXES)
        )
    return sorted(found)


def _sources(paths: Sequence[str], inputs: Inputs) -> list[str]:
    """Every file to read, in order; missing paths become I/O errors."""
    sources: list[str] = []
    for text in paths:
        path = Path(text)
        if not text:
            inputs.io_errors.append('"": an empty path; name a file or folder, or . for this one')
        elif text == STDIN:
            sources.append(STDIN)
        elif path.is_dir():
            sources += (str(p) for p in _folder_files(path, inputs))
        elif path.is_file():
            sources.append(text)
        elif path.exists():
            inputs.io_errors.append(f"{text}: not a file or a folder")
        else:
            inputs.io_errors.append(f"{text}: no such file or folder")
    return sources


def _read_bytes(source: str) -> bytes:
    if source == STDIN:
        return sys.stdin.buffer.read()
    return Path(source).read_bytes()


def read_inputs(paths: Sequence[str]) -> Inputs:
    """Every non-empty YAML document under `paths` (`-` is stdin), and one line per failure."""
    inputs = Inputs()
    for source in _sources(paths, inputs):
        name = STDIN_LABEL if source == STDIN else source
        try:
            data = _read_bytes(source)
        except OSError as error:
            inputs.io_errors.append(f"{name}: cannot read: {error.strerror or error}")
            continue
        inputs.files.append(name)
        bodies, problem = _parse(data)
        if problem is not None:
            inputs.problems.append(f"{name}: {problem}")
            continue
        inputs.documents.extend(
            Document(name, index, body)
            for index, body in enumerate(bodies, start=1)
            if body is not None
        )
    return inputs


def read_documents(paths: Sequence[str]) -> tuple[list[Document], list[str]]:
    """The documents under `paths` and one line per file that is not YAML text; raises CliError
    (exit status 2) naming every path that cannot be read."""
    inputs = read_inputs(paths)
    if inputs.io_errors:
        raise CliError("\n".join(inputs.io_errors))
    return inputs.documents, inputs.problems


def _parse(data: bytes) -> tuple[list[Any], str | None]:
    """The YAML documents of a file, or what is wrong with it."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return [], f"not a text file: byte {error.start + 1} is not UTF-8; YAML files are text"
    if "\0" in text:
        return [], "not a text file: it holds NUL bytes; YAML files are text"
    try:
        return list(yaml.load_all(text, Loader=_Loader)), None
    except yaml.YAMLError as error:
        return [], _yaml_message(error, text)
    except RecursionError:
        return [], "not valid YAML: nested too deeply"


def _yaml_message(error: yaml.YAMLError, text: str) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    if "\\t" in problem or "tab" in problem or (mark is not None and _tab_at(text, mark)):
        problem = "a tab character; YAML indents with spaces only, never tabs"
    where = f"line {mark.line + 1} column {mark.column + 1}: " if mark is not None else ""
    return f"{where}not valid YAML: {problem}"


def _tab_at(text: str, mark: Any) -> bool:
    """Whether the line the parser stopped at has a tab at or before where it stopped."""
    lines = text.split("\n")
    return mark.line < len(lines) and "\t" in lines[mark.line][: mark.column + 1]


def _close_kind(kind: object) -> str | None:
    """The kind of ours `kind` was probably meant to be."""
    if not isinstance(kind, str):
        return None
    lowered = {known.lower(): known for known in KINDS}
    if kind.lower() in lowered:
        return lowered[kind.lower()]
    matches = difflib.get_close_matches(kind, KINDS, n=1, cutoff=0.75)
    return matches[0] if matches else None


def our_kind(body: Any) -> tuple[str | None, list[Problem]]:
    """(our kind, []) for our resources; (None, []) for other documents; problems for documents
    that look like ours (our apiVersion group, or one of our kinds) but are not right."""
    if not isinstance(body, dict):
        return None, []
    api_version, kind = body.get("apiVersion"), body.get("kind")
    ours = isinstance(api_version, str) and api_version.startswith(f"{GROUP}/")
    close = _close_kind(kind)
    if not (ours or kind in KINDS or (api_version is None and close is not None)):
        return None, []
    problems = []
    if api_version is None:
        problems.append(Problem("apiVersion", f'is required: "{API_VERSION}"'))
    elif api_version != API_VERSION:
        hint = _foreign_hint(api_version)
        problems.append(
            Problem("apiVersion", f'must be "{API_VERSION}"; got "{api_version}"{hint}')
        )
    if kind not in KINDS:
        got = f'got "{kind}"' if isinstance(kind, str) else "it is missing"
        mean = f'; did you mean "{close}"?' if close else ""
        problems.append(Problem("kind", f"must be one of {', '.join(KINDS)}; {got}{mean}"))
    return (None, problems) if problems else (str(kind), [])


def _foreign_hint(api_version: object) -> str:
    """What to do with another project's SLO."""
    if isinstance(api_version, str) and api_version.startswith("openslo/"):
        return " (an OpenSLO document: convert it with `budgetwarden import openslo`)"
    return ""


def dump_yaml(data: Any) -> str:
    """YAML as written for people and promtool: keys in insertion order, block style."""
    return _yaml.dump(data)


def dump_all(documents: Iterable[Any]) -> str:
    """Several YAML documents separated by `---`."""
    return "---\n".join(dump_yaml(document) for document in documents)


def write_outputs(folder: str, outputs: dict[str, str]) -> None:
    """Write every file into `folder` (see `_output.write`)."""
    write(Target(Path(folder)), outputs, "")


def duration_argument(text: str) -> timedelta:
    """argparse type for durations such as 30s or 30d."""
    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def add_rule_settings(
    parser: argparse.ArgumentParser, evaluation_help: str, runbook_help: str
) -> None:
    """--evaluation-interval and --runbook-base-url: what rules are built with, besides the
    scrape interval of the shared checks."""
    parser.add_argument("--evaluation-interval", type=duration_argument,
                        default=timedelta(seconds=30), metavar="DURATION",
                        help=evaluation_help)  # fmt: skip
    parser.add_argument("--runbook-base-url", type=_runbook_base, default=SHIPPED_RUNBOOKS,
                        metavar="URL", help=runbook_help)  # fmt: skip


def _runbook_base(text: str) -> RunbookLinks:
    """argparse type: a bad URL stops with one line naming the flag."""
    try:
        return parse_runbook_base(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def print_lines(lines: Iterable[str], stream: Any = None) -> None:
    """Print lines to stderr (or `stream`)."""
    out = stream or sys.stderr
    encoding = getattr(out, "encoding", None) or "utf-8"
    for line in lines:
        # A file name that is not valid in the encoding (bytes that are not UTF-8) is printed
        # escaped instead of failing the whole report.
        print(line.encode(encoding, "backslashreplace").decode(encoding), file=out)
