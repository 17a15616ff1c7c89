"""`budgetwarden import sloth|openslo|pyrra FILE...`: convert other SLO specs into SLO resources.

Reads Sloth `prometheus/v1` specs (and `PrometheusServiceLevel` resources), OpenSLO v1 and
v1alpha documents, or Pyrra `ServiceLevelObjective` resources; a file may hold several YAML
documents and a document may be a list of them. Prints the converted SLOs as YAML (or writes
`<namespace>-<name>.yaml` files with `-o`) and one result line per source document on stderr:
converted, converted with changes (each named), or not converted (every reason). One bad
document never stops the others. Exits 1 when nothing at all could be converted. The conversion
itself is pure, in `core.slo.importers`.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from budgetwarden.cli import _output
from budgetwarden.cli._documents import (
    Document,
    dump_all,
    dump_yaml,
    duration_argument,
    print_lines,
    read_documents,
)
from budgetwarden.core.kernel.durations import format_duration
from budgetwarden.core.kernel.model import NAME_PATTERN
from budgetwarden.core.slo.importers.names import unique_names
from budgetwarden.core.slo.importers.openslo import Options, catalog, convert_openslo
from budgetwarden.core.slo.importers.pyrra import convert_pyrra
from budgetwarden.core.slo.importers.results import Conversion, Resource, result_line
from budgetwarden.core.slo.importers.sloth import convert_sloth

Converter = Callable[[Any], Conversion]
SOURCES = ("sloth", "openslo", "pyrra")


def register(parser: argparse.ArgumentParser) -> None:
    """Arguments of `budgetwarden import`."""
    parser.add_argument("source", choices=SOURCES, help="the format of the input")
    parser.add_argument("paths", nargs="+", metavar="FILE", help="files or folders to convert")
    _output.add_output_arguments(parser, "<namespace>-<name>.yaml per SLO")
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
        help="SLO window for Sloth specs and OpenSLO SLOs without one (Sloth's "
        "--default-slo-period; 30d)",
    )


@dataclass(frozen=True)
class Item:
    """One source document: a YAML document, or one entry of a document that is a list."""

    path: str
    where: str
    body: Any


def items(documents: list[Document]) -> Iterator[Item]:
    """Every source document, named for its result line; top-level lists give one per entry."""
    per_file: dict[str, int] = {}
    for document in documents:
        per_file[document.path] = per_file.get(document.path, 0) + 1
    for document in documents:
        several = per_file[document.path] > 1
        if isinstance(document.body, list):
            for index, body in enumerate(document.body, start=1):
                outer = f"document {document.index} " if several else ""
                yield Item(document.path, _where(document.path, body, f"{outer}item {index}"), body)
        else:
            fallback = f"document {document.index}" if several else ""
            yield Item(document.path, _where(document.path, document.body, fallback), document.body)


def _where(path: str, body: Any, fallback: str) -> str:
    """ "FILE: Kind/name" when the document has both, else "FILE: document 2" (or just FILE)."""
    metadata = body.get("metadata") if isinstance(body, dict) else None
    name = metadata.get("name") if isinstance(metadata, dict) else None
    kind = body.get("kind") if isinstance(body, dict) else None
    if kind and name:
        return f"{path}: {kind}/{name}"
    return f"{path}: {fallback}" if fallback else path


def _converter(args: argparse.Namespace, sources: list[Item]) -> Converter:
    if args.source == "sloth":
        return lambda body: convert_sloth(body, args.namespace, args.window)
    if args.source == "pyrra":
        return lambda body: convert_pyrra(body, args.namespace)
    known = catalog(item.body for item in sources)
    options = Options(args.namespace, format_duration(args.window))
    return lambda body: convert_openslo(body, known, options)


def convert(
    args: argparse.Namespace, documents: list[Document]
) -> tuple[list[tuple[Item, Resource]], list[str]]:
    """Every converted SLO with its source, and one result line per source document."""
    sources = list(items(documents))
    convert_one = _converter(args, sources)
    conversions = unique_names([(item.where, convert_one(item.body)) for item in sources])
    resources = [
        (item, resource)
        for item, (_, conversion) in zip(sources, conversions, strict=True)
        for resource in conversion.resources
    ]
    return resources, [result_line(where, conversion) for where, conversion in conversions]


def run(args: argparse.Namespace) -> int:
    """Convert, say what became of each document, and print or write the SLOs."""
    if not re.fullmatch(NAME_PATTERN, args.namespace):
        print_lines([f"--namespace: not a valid namespace name: {args.namespace!r}"])
        return 2
    documents, lines = read_documents(args.paths)
    resources, results = convert(args, documents)
    print_lines(lines + results)
    if not resources:
        print_lines([f"nothing converted from {', '.join(args.paths)}"])
        return 1
    if args.output:
        outputs: dict[str, str] = {}
        for document, resource in resources:
            meta = resource["metadata"]
            header = f"# Converted by budgetwarden import {args.source} from {document.path}\n"
            outputs[f"{meta['namespace']}-{meta['name']}.yaml"] = header + dump_yaml(resource)
        combined = dump_all(resource for _, resource in resources)
        _output.write(_output.plan(args.output, args.force), outputs, combined)
    else:
        sys.stdout.write(dump_all(resource for _, resource in resources))
    return 0
