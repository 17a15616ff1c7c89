"""`budgetwarden demo-service`: run the demo service that drills and `make demo` burn budget on.

Parses the flags into a `ServiceConfig` (every mistake named by its flag, exit code 2) and runs
`budgetwarden_dev.demo.service.serve` until SIGTERM or SIGINT. docs/demo-service.md has the details.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from budgetwarden.core.kernel.errors import Problem, SpecError
from budgetwarden_dev.demo.service import ServiceConfig, serve
from budgetwarden_dev.demo.settings import (
    ErrorMode,
    Settings,
    parse_error_rate,
    parse_latency,
    parse_load_rps,
)

HELP = "an HTTP service with an error rate and latency you control"

# flag -> argparse options; kept as data so the help reads as a table.
_FLAGS: dict[str, dict[str, Any]] = {
    "--listen": dict(default="127.0.0.1:0", metavar="HOST:PORT",
                     help="address to serve on; port 0 picks a free one (default %(default)s)"),
    "--error-rate": dict(default="0.001", metavar="SHARE",
                         help='share of traffic answered 500, "0" to "1" (default %(default)s)'),
    "--latency": dict(default="20ms", metavar="DURATION",
                      help="time to answer, ±20%% jitter; 0s for none (default %(default)s)"),
    "--load": dict(default="0", metavar="RPS",
                   help="requests per second the built-in load generator sends to /work"),
    "--errors": dict(choices=[mode.value for mode in ErrorMode], default="exact",
                     help="exact: floor(n × rate) of n requests fail, evenly spread; random: "
                     "each fails with probability rate (default %(default)s)"),
    "--seed": dict(type=int, default=None,
                   help="seed for the random error draws and the latency jitter"),
    "--load-concurrency": dict(type=int, default=256, metavar="N",
                               help="most load requests in flight at once (default %(default)s)"),
    "--port-file": dict(type=Path, default=None, metavar="PATH",
                        help="write the bound port here once serving (removed on exit)"),
}  # fmt: skip


def register(parser: argparse.ArgumentParser) -> None:
    """Add the demo service's flags."""
    for flag, options in _FLAGS.items():
        parser.add_argument(flag, **options)


def _listen(text: str) -> tuple[str, int]:
    """ "127.0.0.1:8080", "[::1]:0" or ":8080" (every IPv4 interface) as (host, port)."""
    host, colon, port = text.rpartition(":")
    if not colon or not port.isdigit() or int(port) > 65535:
        raise SpecError.single(
            "--listen", f'must be HOST:PORT such as "127.0.0.1:8080"; got "{text}"'
        )
    return host.strip("[]"), int(port)


def _concurrency(value: int) -> int:
    if value < 1:
        raise SpecError.single("--load-concurrency", f"must be at least 1; got {value}")
    return value


def _config(args: argparse.Namespace) -> ServiceConfig:
    """The flags as a ServiceConfig; every bad flag reported at once."""
    problems: list[Problem] = []

    def check(parse: Callable[[], Any]) -> Any:
        try:
            return parse()
        except SpecError as error:
            problems.extend(error.problems)
            return None

    listen = check(lambda: _listen(args.listen))
    error_rate = check(lambda: parse_error_rate(args.error_rate, "--error-rate"))
    latency = check(lambda: parse_latency(args.latency, "--latency"))
    load_rps = check(lambda: parse_load_rps(args.load, "--load"))
    concurrency = check(lambda: _concurrency(args.load_concurrency))
    if problems:
        raise SpecError(problems)
    return ServiceConfig(
        host=listen[0],
        port=listen[1],
        settings=Settings(error_rate=error_rate, latency=latency, load_rps=load_rps),
        error_mode=ErrorMode(args.errors),
        seed=args.seed,
        load_concurrency=concurrency,
        port_file=args.port_file,
    )


def run(args: argparse.Namespace) -> int:
    """Serve until stopped: 0 on a clean stop, 1 if the address cannot be bound, 2 on bad flags."""
    try:
        config = _config(args)
    except SpecError as error:
        for problem in error.problems:
            print(f"budgetwarden demo-service: {problem}", file=sys.stderr)
        return 2
    try:
        asyncio.run(serve(config))
    except OSError as error:  # the address is taken, or the port file cannot be written
        print(f"budgetwarden demo-service: {error}", file=sys.stderr)
        return 1
    return 0
