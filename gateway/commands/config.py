"""``config``: check a gateway config file without serving, or print the reference of every key it takes.

``fedgw config`` validates ``gateway.yaml`` (``--config PATH``) as ``fedgw serve`` would, environment
overrides included, and says what is wrong, or that it is fine; ``fedgw config --reference`` prints
``docs/config.md`` from the models (``gateway.config_reference``).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("config", help="check gateway.yaml, or print the reference of its keys")
    p.add_argument("--config", default="gateway.yaml", help="the file to check (default: gateway.yaml)")
    p.add_argument("--reference", action="store_true", help="print the configuration reference (Markdown)")


def run(args: argparse.Namespace) -> int:
    if args.reference:
        from gateway.config_reference import render_reference

        sys.stdout.write(render_reference())
        return 0
    from gateway.commands.serve import settings_for
    from gateway.config import ConfigError, load_config

    try:
        config = load_config(args.config)
        settings = settings_for(
            argparse.Namespace(host="127.0.0.1", expose_query_plan=None, no_graphiql=False), config
        )
    except (ConfigError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    names = ", ".join(s.name for s in config.subgraphs)
    print(f"{args.config}: valid; subgraphs: {names}")
    print(
        f"  expose_query_plan={str(settings.expose_query_plan).lower()} graphiql={str(settings.graphiql).lower()}"
        f" introspection={str(settings.introspection).lower()} (on a loopback address, environment included)"
    )
    return 0
