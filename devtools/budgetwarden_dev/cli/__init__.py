"""The `budgetwarden dev`, `demo`, `demo-service` and `drill` subcommands: each module is declared
in the `budgetwarden.commands` entry-point group, which `budgetwarden.cli` reads, and exposes
`HELP` (its line in `budgetwarden --help`), `register(parser)` and `run(args) -> int`, like the
built-in commands; the module is imported only when its command runs or the help is printed.
"""
