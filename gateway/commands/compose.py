"""``fedgw compose``: get each subgraph's SDL, compose them, write ``schema/supergraph.graphql``.

SDLs come ``--from url`` (default: ``{ _service { sdl } }`` of the running services), ``file`` (the committed
snapshots) or ``code`` (the ``module`` callable of each subgraph). Unless ``--from file``, the subgraph
snapshots (``schema:`` in the config) are refreshed too, so that ``fedgw check`` sees them up to date.
Exit status: 0 composed, 1 composition errors, 2 config or SDL source errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from gateway.commands._sdl import SdlSource, SdlSourceError, subgraph_sdl
from gateway.composition import CompositionError, SubgraphSource, compose
from gateway.config import ConfigError, GatewayConfig, load_config

__all__ = ["add_parser", "collect_sources", "print_errors", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "compose", help="compose the subgraphs into schema/supergraph.graphql", description=__doc__
    )
    parser.add_argument("--config", default="gateway.yaml", help="gateway config (default: gateway.yaml)")
    parser.add_argument(
        "--from", dest="sdl_from", choices=("url", "file", "code"), default="url", help="where SDLs come from"
    )
    parser.add_argument("--output", help="supergraph file to write (default: 'supergraph' of the config)")
    parser.add_argument(
        "--no-subgraph-snapshots", action="store_true", help="do not rewrite schema/<name>.graphql"
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds per subgraph request (--from url)"
    )
    return parser


def collect_sources(
    config: GatewayConfig, source: SdlSource, timeout: float = 10.0
) -> tuple[list[SubgraphSource], list[str]]:
    """Each subgraph's SDL from ``source``; problems are returned, one line each, not raised."""
    sources: list[SubgraphSource] = []
    problems: list[str] = []
    for sub in config.subgraphs:
        try:
            sdl = subgraph_sdl(sub, source, timeout=timeout)
        except SdlSourceError as e:
            problems.append(str(e))
            continue
        sources.append(SubgraphSource(sub.name, sub.url, sdl))
    return sources, problems


def print_errors(errors: list[CompositionError]) -> None:
    print(f"composition failed with {len(errors)} error(s):", file=sys.stderr)
    for e in errors:
        where = ", ".join(e.subgraphs)
        print(f"\nerror[{e.code}]" + (f" (subgraphs: {where})" if where else ""), file=sys.stderr)
        print("  " + e.message.replace("\n", "\n  "), file=sys.stderr)


def write_text(path: str | Path, text: str) -> bool:
    """Write ``text`` (ending in one newline) if it differs; True when the file changed."""
    p = Path(path)
    text = text.rstrip("\n") + "\n"
    if p.exists() and p.read_text(encoding="utf-8") == text:
        return False
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return True


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    sources, problems = collect_sources(config, args.sdl_from, args.timeout)
    if problems:
        for p in problems:
            print(f"error: {p}", file=sys.stderr)
        return 2
    result = compose(sources)
    if result.supergraph_sdl is None:
        print_errors(result.errors)
        return 1
    output = args.output or config.supergraph
    changed = write_text(output, result.supergraph_sdl)
    print(f"{'wrote' if changed else 'unchanged'} {output} ({len(sources)} subgraphs)")
    if args.sdl_from != "file" and not args.no_subgraph_snapshots:
        for sub, source in zip(config.subgraphs, sources, strict=True):
            if sub.schema:
                changed = write_text(sub.schema, source.sdl)
                print(f"{'wrote' if changed else 'unchanged'} {sub.schema}")
    return 0
