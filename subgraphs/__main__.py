"""``python -m subgraphs snapshot [--check]``: write (or verify) each service's SDL into ``schema/<name>.graphql``."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

SERVICES = ("users", "products", "orders", "payments")
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schema"


def service_sdl(name: str) -> str:
    module = importlib.import_module(f"subgraphs.{name}.schema")
    return module.print_sdl().rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m subgraphs", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    snap = sub.add_parser("snapshot", help="write schema/<service>.graphql from the code")
    snap.add_argument("--check", action="store_true", help="only report snapshots that differ; exit 1 if any")
    snap.add_argument("services", nargs="*", default=list(SERVICES))
    args = parser.parse_args(argv)
    stale = []
    for name in args.services:
        path = SCHEMA_DIR / f"{name}.graphql"
        sdl = service_sdl(name)
        current = path.read_text() if path.exists() else None
        if current == sdl:
            continue
        if args.check:
            stale.append(name)
            print(f"schema/{name}.graphql differs from the code", file=sys.stderr)
        else:
            path.write_text(sdl)
            print(f"wrote schema/{name}.graphql")
    if stale:
        print("refresh with: python -m subgraphs snapshot", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
