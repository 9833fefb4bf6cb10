"""Differential run: random operations over the demo supergraph, our gateway against Hive Gateway.

    .venv/bin/python bench/differential.py --count 2000 --seed 1

Starts the demo services and both gateways, sends every generated operation to both, and prints a summary of
the differences (data compared exactly, field order too, errors by path), each explained by a documented
difference where one fits, with the first unexplained ones in full. Exit status 1 when any difference is
unexplained.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conformance.differential import KNOWN_DIFFERENCES, Difference, compare, demo_system, explain  # noqa: E402
from tests.conformance.generator import generate  # noqa: E402
from tests.conformance.hive import ensure_reference_installed  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-depth", type=int, default=4)
    parser.add_argument("--max-fields", type=int, default=4, help="widest selection set drawn")
    parser.add_argument("--missing-ids", type=float, default=0.05, help="share of IDs that name nothing")
    parser.add_argument("--show", type=int, default=5, help="differences printed in full")
    args = parser.parse_args(argv)

    problem = ensure_reference_installed()
    if problem:
        print(f"reference gateway unavailable: {problem}", file=sys.stderr)
        return 2
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

    kinds = collections.Counter(d.kind for d, _ in differences)
    reasons = collections.Counter(why or "UNEXPLAINED" for _, why in differences)
    unexplained = [d for d, why in differences if why is None]
    print(f"seed {args.seed}: {len(operations)} operations in {elapsed:.1f} s")
    print(f"  our responses with data: {with_data}, with errors: {with_errors}")
    print(f"  differences: {len(differences)} ({', '.join(f'{k}: {n}' for k, n in kinds.items()) or 'none'})")
    for reason, count in reasons.most_common():
        print(
            f"    {count:5d}  {reason}"
            + (f": {KNOWN_DIFFERENCES[reason]}" if reason in KNOWN_DIFFERENCES else "")
        )
    shown = unexplained or [d for d, _ in differences]
    for difference in shown[: args.show]:
        print("\n" + difference.describe())
    return 1 if unexplained else 0


if __name__ == "__main__":
    raise SystemExit(main())
