"""The `budgetwarden` command line.

Each subcommand lives in its own module and is imported only when it runs, so `budgetwarden
generate` does not pay for kopf or the Kubernetes client at start-up. A module exposes
`register(parser)` (add its arguments) and `run(args) -> int` (the exit code). The built-in
commands are modules under `budgetwarden.cli`; other installed distributions add commands
through the `budgetwarden.commands` entry-point group (name: the command, value: the module),
whose modules also carry a one-line `HELP`, read when the top-level help is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

from budgetwarden import __version__
from budgetwarden.cli._output import CliError

# command name -> (module under budgetwarden.cli, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "generate": ("generate", "SLO files -> PrometheusRule or Prometheus rule files"),
    "validate": ("validate", "check SLO, ErrorBudgetPolicy and FreezeException files"),
    "budget": ("budget", "allowed downtime and burn-rate table for an objective and window"),
    "import": ("importer", "convert Sloth, OpenSLO or Pyrra specs into SLO resources"),
    "run": ("run", "run the operator against your cluster"),
    "rules-sync": ("rules_sync", "mirror PrometheusRules into a Prometheus rules directory"),
    "webhook": ("webhook", "render the admission webhook configurations"),
    "status": ("status", "freeze state: policies, held workloads, active exceptions"),
    "explain": ("explain", "why a workload is or is not frozen, and what a new version gets"),
    "check": ("check", "may a new version ship now? exit 0 allowed, 3 frozen (for CI)"),
    "report": ("report", "report alerts: alert quality from Prometheus' alert history"),
    "diff": ("diff", "the rules a change would generate vs the cluster's or earlier files"),
}

# (command, first argument) -> (module under budgetwarden.cli, one-line help): commands nested
# under another, such as `generate pack`, where generate's FILE|DIR arguments leave no room for
# an argparse subcommand. A folder named like the word is still reached as ./pack.
NESTED_COMMANDS: dict[tuple[str, str], tuple[str, str]] = {
    ("generate", "pack"): ("generate_pack", "alert packs beyond SLOs -> PrometheusRule or rules"),
}

# every command takes it; also accepted before the command
DEBUG_FLAG = "--debug"

# entry-point group of commands that other distributions add
PLUGIN_GROUP = "budgetwarden.commands"

# kubectl runs an executable of this name on PATH as `kubectl budgetwarden`
KUBECTL_PLUGIN = "kubectl-budgetwarden"


def program_name() -> str:
    """How usage and help name the program: `kubectl budgetwarden` when run as kubectl's plugin."""
    invoked = os.path.basename(sys.argv[0]).removesuffix(".exe") if sys.argv else ""
    return "kubectl budgetwarden" if invoked == KUBECTL_PLUGIN else "budgetwarden"


def plugin_commands() -> dict[str, str]:
    """Command name -> module path, from the installed `budgetwarden.commands` entry points.

    A plugin never replaces a built-in command; of two plugins with one name the first wins.
    """
    found: dict[str, str] = {}
    for entry in entry_points(group=PLUGIN_GROUP):
        if entry.name not in COMMANDS:
            found.setdefault(entry.name, entry.module)
    return found


def _plugin_help(module_path: str) -> str:
    """A plugin's `HELP` line; imports its module."""
    try:
        module = importlib.import_module(module_path)
    except ImportError as error:
        return f"(cannot be loaded: {error})"
    return str(getattr(module, "HELP", ""))


class _Help(argparse.Action):
    """`-h/--help` that imports the plugins for their help lines only when the help is printed."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **_: Any) -> None:
        super().__init__(option_strings, dest, default=argparse.SUPPRESS, nargs=0,
                         help="show this help message and exit")  # fmt: skip

    def __call__(self, parser: argparse.ArgumentParser, *_: Any, **__: Any) -> None:
        build_parser(plugin_help=True).print_help()
        parser.exit()


def build_parser(*, plugin_help: bool = False) -> argparse.ArgumentParser:
    """The top-level parser; subcommand modules add their own arguments lazily.

    Plugin commands get their help line (which imports their module) only with `plugin_help`.
    """
    parser = argparse.ArgumentParser(
        prog=program_name(),
        description="Run services by their SLOs: rules, error budgets, deployment freezes.",
        add_help=False,
    )
    parser.add_argument("-h", "--help", action=_Help)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        DEBUG_FLAG, action="store_true", help="show the stack of a failure (also after COMMAND)"
    )
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (_, help_text) in COMMANDS.items():
        subcommands.add_parser(name, help=help_text, add_help=False)
    for name, module_path in plugin_commands().items():
        plugin_text = _plugin_help(module_path) if plugin_help else None
        subcommands.add_parser(name, help=plugin_text, add_help=False)
    return parser


def _load(name: str, plugins: dict[str, str]) -> tuple[ModuleType, str]:
    """The module of command `name` and its one-line description."""
    if name in COMMANDS:
        module_name, description = COMMANDS[name]
        return importlib.import_module(f"budgetwarden.cli.{module_name}"), description
    module = importlib.import_module(plugins[name])
    return module, str(getattr(module, "HELP", ""))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = DEBUG_FLAG in argv[:1]  # `budgetwarden --debug COMMAND ...`
    argv = argv[1:] if debug else argv
    if tuple(argv[:2]) in NESTED_COMMANDS:
        module_name, description = NESTED_COMMANDS[(argv[0], argv[1])]
        module = importlib.import_module(f"budgetwarden.cli.{module_name}")
        return _run(module, f"{argv[0]} {argv[1]}", description, argv[2:], debug)
    plugins = {} if argv and argv[0] in COMMANDS else plugin_commands()
    if not argv:
        build_parser(plugin_help=True).print_help(sys.stderr)  # no command: say what there is
        return 2
    if argv[0] not in COMMANDS and argv[0] not in plugins:
        build_parser().parse_args(argv)  # prints usage, help or the unknown-command error; exits
        return 2
    name, rest = argv[0], argv[1:]
    try:
        module, description = _load(name, plugins)
    except ImportError as error:
        if name in COMMANDS:
            raise
        print(f"budgetwarden {name}: cannot load {plugins[name]}: {error}", file=sys.stderr)
        return 1
    return _run(module, name, description, rest, debug)


def _run(module: ModuleType, name: str, description: str, rest: list[str], debug: bool) -> int:
    """Parse the command's own arguments (argparse exits 2 on a bad one) and run it.

    A usage or file-system problem is one line and exit status 2, never a traceback; `--debug`
    lets the exception through with its stack.
    """
    parser = argparse.ArgumentParser(prog=f"{program_name()} {name}", description=description)
    module.register(parser)
    parser.add_argument(DEBUG_FLAG, action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(rest)
    try:
        return int(module.run(args))
    except (CliError, OSError) as error:
        if debug or args.debug:
            raise
        print(_one_line(name, error), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if debug or args.debug:
            raise
        return 130


def _one_line(name: str, error: Exception) -> str:
    """A failure as the user reads it: the path and what went wrong."""
    if isinstance(error, BrokenPipeError):
        _drop_stdout()
        return f"budgetwarden {name}: the output was closed before everything was written"
    if isinstance(error, OSError) and error.filename is not None:
        return f"{error.filename}: {error.strerror or error}"
    if isinstance(error, OSError):
        return f"budgetwarden {name}: {error.strerror or error}"
    return str(error)


def _drop_stdout() -> None:
    """Send what is left for a closed stdout nowhere, so Python's exit-time flush cannot fail."""
    # Not a real file (a test's capture): then nothing is flushed to a closed pipe either.
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
