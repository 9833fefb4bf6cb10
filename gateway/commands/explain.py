"""``fedgw explain``: print the query plan of an operation as JSON (the shape Apollo's tooling prints).

The operation is the QUERY argument, a file (``@path``) or standard input (``-``). The supergraph comes from
``--supergraph PATH`` or ``--config PATH`` (composed, as for ``serve``); with neither, from the committed
supergraph file that ``gateway.yaml`` names, so no service needs to be running. ``--label`` enables progressive-override labels.
Exit status 1 when the operation does not parse, validate or plan (the errors are printed as JSON).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson

from gateway.commands.serve import add_source_arguments, resolve_source

__all__ = ["add_parser", "explain", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "explain",
        help="print the query plan of an operation",
        description="print the query plan of an operation as JSON",
    )
    parser.add_argument("query", help="the operation text, @FILE to read it from a file, or - for stdin")
    parser.add_argument("--operation-name", "-o", default=None)
    parser.add_argument(
        "--label", action="append", default=[], help="enable a progressive-override label (repeatable)"
    )
    add_source_arguments(parser)
    return parser


def _operation_text(argument: str) -> str:
    if argument == "-":
        return sys.stdin.read()
    if argument.startswith("@"):
        return Path(argument[1:]).read_text(encoding="utf-8")
    return argument


def explain(
    supergraph: Any,
    query: str,
    operation_name: str | None = None,
    labels: frozenset[str] = frozenset(),
    *,
    planner: Any = None,
) -> tuple[dict[str, Any], bool]:
    """The plan JSON (or ``{"errors": [...]}``) and whether planning succeeded."""
    from gateway.server.pipeline import Gateway, RequestFailure

    outcome = Gateway(supergraph, planner=planner).plan(query, operation_name, labels)
    if isinstance(outcome, RequestFailure):
        return {"errors": list(outcome.errors)}, False
    return outcome.to_json(), True


def _committed_supergraph() -> str | None:
    """The supergraph file ``gateway.yaml`` names, when it exists (else None: compose from the config)."""
    from gateway.config import load_config

    path = Path(load_config("gateway.yaml").supergraph)
    return str(path) if path.is_file() else None


def run(args: argparse.Namespace) -> int:
    try:
        query = _operation_text(args.query)
    except OSError as error:
        print(f"error: cannot read {args.query[1:]}: {error.strerror}", file=sys.stderr)
        return 1
    try:
        if not args.supergraph and not args.config:
            args.supergraph = _committed_supergraph()
        supergraph = resolve_source(args).load()
    except Exception as error:  # SupergraphLoadError, or a config error with its own message
        print(f"error: {error}", file=sys.stderr)
        return 1
    result, ok = explain(supergraph, query, args.operation_name, frozenset(args.label))
    sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0 if ok else 1
