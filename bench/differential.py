"""Differential run: random operations, our gateway against Hive Gateway (Rust query planner by default).

    .venv/bin/python bench/differential.py --count 2000 --seed 1            # the demo supergraph
    .venv/bin/python bench/differential.py --sets --count 200 --seed 1      # every conformance set
    .venv/bin/python bench/differential.py --planner js ...                 # Hive Gateway's JavaScript planner

The demo mode starts the demo services and both gateways and sends every generated operation to both; the
sets mode serves every subgraph set of tests/conformance over real HTTP behind Hive Gateway, runs our gateway
in process, and draws ``--count`` operations per set. Both print a summary of the differences (data compared
exactly, field order too; errors by path for the demo, by presence for the sets, whose data is not complete for
every random path), each explained by documented differences where they fit, with the first unexplained ones
in full. Exit status 1 when any difference is unexplained.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conformance.differential import (  # noqa: E402
    KNOWN_DIFFERENCES,
    Difference,
    compare,
    demo_system,
    explain,
    reasons,
    set_differences,
)
from tests.conformance.generator import generate  # noqa: E402
from tests.conformance.hive import (  # noqa: E402
    PLANNERS,
    HiveGateway,
    SubgraphServer,
    ensure_reference_installed,
    serve_asgi,
)


def summary(title: str, count: int, differences: list[tuple[Difference, str | None]], show: int) -> bool:
    """Print the differences of one run; True when every one is explained."""
    kinds = collections.Counter(d.kind for d, _ in differences)
    why_counts = collections.Counter(why or "UNEXPLAINED" for _, why in differences)
    unexplained = [d for d, why in differences if why is None]
    print(f"{title}: {count} operations, {len(differences)} differ", end="")
    print(f" ({', '.join(f'{k}: {n}' for k, n in kinds.items())})" if kinds else "")
    for why, n in why_counts.most_common():
        print(f"    {n:5d}  {why}")
    for difference in unexplained[:show]:
        print("\n" + difference.describe())
    return not unexplained


def run_demo(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="differential-") as tmp, demo_system(Path(tmp)) as system:
        operations = generate(
            system.api_schema,
            args.count,
            seed=args.seed,
            max_depth=args.max_depth,
            max_fields=args.max_fields,
            missing_ids=args.missing_ids,
        )
        differences: list[tuple[Difference, str | None]] = []
        with_data = with_errors = 0
        started = time.perf_counter()
        for operation in operations:
            ours = system.ours(operation.query, operation.variables)
            reference = system.reference(operation.query, operation.variables)
            with_data += ours.get("data") is not None
            with_errors += bool(ours.get("errors"))
            difference = compare(operation, ours, reference)
            if difference is not None:
                differences.append((difference, explain(system, difference)))
        elapsed = time.perf_counter() - started
    print(f"seed {args.seed}, {system.hive.planner} planner: {len(operations)} operations in {elapsed:.1f} s")
    print(f"  our responses with data: {with_data}, with errors: {with_errors}")
    ok = summary("demo", len(operations), differences, args.show)
    print_legend(differences)
    return 0 if ok else 1


def run_sets(args: argparse.Namespace) -> int:
    from tests.conformance.test_reference import FEDERATIONS, IDS

    federations = [f for name, f in FEDERATIONS.items() if not args.only or name in args.only]
    server = SubgraphServer(federations)
    everything: list[tuple[Difference, str | None]] = []
    ok = True
    with serve_asgi(server) as base, tempfile.TemporaryDirectory(prefix="differential-") as tmp:
        supergraphs = {f.name: f.supergraph_sdl(server.urls(base, f)) for f in federations}
        hive = HiveGateway(supergraphs, Path(tmp))
        try:
            print(f"seed {args.seed}, {hive.planner} planner, {args.count} operations per set")
            for federation in federations:
                seed = args.seed + zlib.crc32(federation.name.encode())
                operations = generate(
                    federation.supergraph.api_schema,
                    args.count,
                    seed=seed,
                    max_depth=args.max_depth,
                    max_fields=args.max_fields,
                    ids=IDS,
                )
                differences = asyncio.run(set_differences(federation, hive, operations))
                everything.extend(differences)
                ok = summary(federation.name, len(operations), differences, args.show) and ok
        finally:
            hive.close()
    print_legend(everything)
    return 0 if ok else 1


def print_legend(differences: list[tuple[Difference, str | None]]) -> None:
    seen = {r for _, why in differences if why for r in reasons(why)}
    if seen:
        print("\nwhat explains them:")
    for reason in sorted(seen):
        print(f"  {reason}: {KNOWN_DIFFERENCES[reason]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="operations (per set with --sets)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-depth", type=int, default=4)
    parser.add_argument("--max-fields", type=int, default=4, help="widest selection set drawn")
    parser.add_argument(
        "--missing-ids", type=float, default=0.05, help="share of IDs that name nothing (demo)"
    )
    parser.add_argument("--show", type=int, default=5, help="unexplained differences printed in full")
    parser.add_argument("--sets", action="store_true", help="every conformance set instead of the demo")
    parser.add_argument("--only", nargs="*", default=[], help="with --sets: just these sets")
    parser.add_argument("--planner", choices=PLANNERS, default=None, help="the reference's query planner")
    args = parser.parse_args(argv)
    if args.planner:
        os.environ["REFERENCE_PLANNER"] = args.planner

    problem = ensure_reference_installed()
    if problem:
        print(f"reference gateway unavailable: {problem}", file=sys.stderr)
        return 2
    return run_sets(args) if args.sets else run_demo(args)


if __name__ == "__main__":
    raise SystemExit(main())
