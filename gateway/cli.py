"""``fedgw``: one command line for everything a user runs (compose, check, up, serve, explain, ...).

Each subcommand lives in its own module ``gateway/commands/<name>.py`` exposing ``add_parser(subparsers)`` and
``run(args) -> int``; this module only discovers and dispatches to them.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType

import gateway.commands

__all__ = ["build_parser", "command_modules", "main"]


def command_modules() -> dict[str, ModuleType]:
    """Every ``gateway.commands`` module with ``add_parser`` and ``run``, by command name (sorted)."""
    found: dict[str, ModuleType] = {}
    for info in sorted(pkgutil.iter_modules(gateway.commands.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"gateway.commands.{info.name}")
        if callable(getattr(module, "add_parser", None)) and callable(getattr(module, "run", None)):
            found[info.name] = module
    return found


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    parser = argparse.ArgumentParser(
        prog="fedgw", description="GraphQL federation gateway and schema workflow."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = command_modules()
    for module in modules.values():
        module.add_parser(subparsers)
    return parser, modules


def main(argv: Sequence[str] | None = None) -> int:
    parser, modules = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    result = modules[args.command].run(args)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
