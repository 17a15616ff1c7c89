"""`budgetwarden import sloth|openslo FILE...`: convert other SLO specs into SLO resources.

Reads Sloth `prometheus/v1` specs (and `PrometheusServiceLevel` resources) or OpenSLO v1
documents, prints the converted SLOs as YAML (or writes `<namespace>-<name>.yaml` files with
`-o`), and says on stderr, one line each, what could not be carried over and why. Exits 1 when
nothing at all could be converted. The conversion itself is pure, in `core.slo.importers`.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from budgetwarden.cli._documents import (
    Document,
    dump_all,
    dump_yaml,
    duration_argument,
    print_lines,
    read_documents,
    write_outputs,
)
from budgetwarden.core.kernel.errors import Problem
from budgetwarden.core.kernel.model import NAME_PATTERN
from budgetwarden.core.slo.importers.common import Resource
from budgetwarden.core.slo.importers.openslo import catalog, convert_openslo
from budgetwarden.core.slo.importers.sloth import convert_sloth, is_sloth

Converter = Callable[[Any], tuple[list[Resource], list[Problem]]]


def register(parser: argparse.ArgumentParser) -> None:
    """Arguments of `budgetwarden import`."""
    parser.add_argument("source", choices=("sloth", "openslo"), help="the format of the input")
    parser.add_argument("paths", nargs="+", metavar="FILE", help="files or folders to convert")
    parser.add_argument("-o", "--output", metavar="DIR", help="write <namespace>-<name>.yaml here")
    parser.add_argument(
        "--namespace",
        default="default",
        metavar="NAME",
        help="namespace of the SLOs when the input names none (default: default)",
    )
    parser.add_argument(
        "--window",
        type=duration_argument,
        default=timedelta(days=30),
        metavar="DURATION",
        help="SLO window for Sloth specs, which have none (Sloth's --default-slo-period; 30d)",
    )


def _converter(args: argparse.Namespace, documents: list[Document]) -> Converter:
    if args.source == "sloth":
        return lambda body: convert_sloth(body, args.namespace, args.window)
    known = catalog(document.body for document in documents)
    return lambda body: convert_openslo(body, known, args.namespace)


def _location(document: Document, count: int) -> str:
    """Sloth specs have no kind or name: name them by file (and document when there are several)."""
    if isinstance(document.body, dict) and document.body.get("kind"):
        return f"{document.path}: {document.label}"
    return f"{document.path}: document {document.index}" if count > 1 else document.path


def convert(
    args: argparse.Namespace, documents: list[Document]
) -> tuple[list[tuple[Document, Resource]], list[str]]:
    """Every convertible SLO with its source document, and one line per problem."""
    convert_one = _converter(args, documents)
    per_file: dict[str, int] = {}
    for document in documents:
        per_file[document.path] = per_file.get(document.path, 0) + 1
    resources: list[tuple[Document, Resource]] = []
    seen: set[tuple[str, str]] = set()
    lines: list[str] = []
    for document in documents:
        where = _location(document, per_file[document.path])
        if args.source == "sloth" and not (
            isinstance(document.body, dict) and is_sloth(document.body)
        ):
            lines.append(f"{where}: not a Sloth prometheus/v1 spec; skipped")
            continue
        if not isinstance(document.body, dict):
            lines.append(f"{where}: not a mapping; skipped")
            continue
        converted, problems = convert_one(document.body)
        lines.extend(f"{where}: {problem}" for problem in problems)
        for resource in converted:
            key = (resource["metadata"]["namespace"], resource["metadata"]["name"])
            if key in seen:
                lines.append(f"{where}: SLO {key[0]}/{key[1]} skipped: converted twice")
                continue
            seen.add(key)
            resources.append((document, resource))
    return resources, lines


def run(args: argparse.Namespace) -> int:
    """Convert, report what was left behind, and print or write the SLOs."""
    if not re.fullmatch(NAME_PATTERN, args.namespace):
        print_lines([f"--namespace: not a valid namespace name: {args.namespace!r}"])
        return 2
    documents, lines = read_documents(args.paths)
    resources, problems = convert(args, documents)
    print_lines(lines + problems)
    if not resources:
        print_lines([f"nothing converted from {', '.join(args.paths)}"])
        return 1
    if args.output:
        outputs: dict[str, str] = {}
        for document, resource in resources:
            meta = resource["metadata"]
            header = f"# Converted by budgetwarden import {args.source} from {document.path}\n"
            outputs[f"{meta['namespace']}-{meta['name']}.yaml"] = header + dump_yaml(resource)
        write_outputs(args.output, outputs)
    else:
        sys.stdout.write(dump_all(resource for _, resource in resources))
    return 0
