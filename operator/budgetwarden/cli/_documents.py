"""Files in and out for the offline commands (generate, validate, import).

Reads FILE|DIR arguments into YAML documents that remember where they came from, names them
for error lines (`FILE: SLO/name: spec.x: message`), and writes outputs only once every
output is ready, so a failed run leaves no half-written folder behind.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from budgetwarden.cli import _yaml
from budgetwarden.core.kernel.conventions import API_VERSION, GROUP
from budgetwarden.core.kernel.durations import parse_duration
from budgetwarden.core.kernel.errors import Problem

# The C implementations are several times faster; fall back when libyaml is missing.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
YAML_SUFFIXES = (".yaml", ".yml")


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
        name = (body.get("metadata") or {}).get("name") if body else None
        kind = body.get("kind")
        if kind and isinstance(name, str) and name:
            return f"{kind}/{name}"
        return f"{kind} (document {self.index})" if kind else f"document {self.index}"

    def line(self, problem: Problem | str) -> str:
        """An error line for a problem in this document."""
        return f"{self.path}: {self.label}: {problem}"


def _files(paths: Sequence[str], errors: list[str]) -> Iterator[Path]:
    for text in paths:
        path = Path(text)
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file()
            )
        elif path.is_file():
            yield path
        else:
            errors.append(f"{text}: no such file or folder")


def read_documents(paths: Sequence[str]) -> tuple[list[Document], list[str]]:
    """Every non-empty YAML document under `paths`, plus one error line per unreadable file."""
    errors: list[str] = []
    documents: list[Document] = []
    for path in _files(paths, errors):
        try:
            bodies = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=_Loader))
        except (OSError, UnicodeDecodeError) as error:
            errors.append(f"{path}: cannot read: {error}")
            continue
        except yaml.YAMLError as error:
            errors.append(f"{path}: {_yaml_message(error)}")
            continue
        documents.extend(
            Document(str(path), index, body)
            for index, body in enumerate(bodies, start=1)
            if body is not None
        )
    return documents, errors


def _yaml_message(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    where = f"line {mark.line + 1} column {mark.column + 1}: " if mark is not None else ""
    return f"{where}not valid YAML: {problem}"


def our_kind(body: Any) -> tuple[str | None, Problem | None]:
    """Our kind of resource; None for other documents; a Problem for a wrong apiVersion."""
    if not isinstance(body, dict):
        return None, None
    api_version = body.get("apiVersion")
    if not isinstance(api_version, str) or not api_version.startswith(f"{GROUP}/"):
        return None, None
    if api_version != API_VERSION:
        return None, Problem("apiVersion", f'must be "{API_VERSION}"; got "{api_version}"')
    return str(body.get("kind")), None


def dump_yaml(data: Any) -> str:
    """YAML as written for people and promtool: keys in insertion order, block style."""
    return _yaml.dump(data)


def dump_all(documents: Iterable[Any]) -> str:
    """Several YAML documents separated by `---`."""
    return "---\n".join(dump_yaml(document) for document in documents)


def write_outputs(folder: str, outputs: dict[str, str]) -> None:
    """Write every file into `folder`; callers pass only complete, checked outputs."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    for name, text in outputs.items():
        # os.open/os.write: a plain open() adds an fstat, an ioctl and a seek per file, which
        # shows at a thousand files.
        handle = os.open(target / name, flags, 0o644)
        try:
            data = memoryview(text.encode("utf-8"))
            while data:
                data = data[os.write(handle, data) :]
        finally:
            os.close(handle)


def duration_argument(text: str) -> timedelta:
    """argparse type for durations such as 30s or 30d."""
    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def print_lines(lines: Iterable[str], stream: Any = None) -> None:
    """Print lines to stderr (or `stream`)."""
    out = stream or sys.stderr
    for line in lines:
        print(line, file=out)
