"""Scaling on the demo services: a page of N orders with users, items and products, for growing N.

Starts the whole local system (`python -m gateway up`) on free ports and fresh SQLite files, then for each N
prints the median wall time of the query through the gateway, the time per order, and the number of subgraph
fetches in its plan: time should grow about linearly with N, fetches should stay constant.

    .venv/bin/python bench/scaling.py [--sizes 10,100,1000,5000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.local_system import local_system  # noqa: E402

QUERY = """query Page($n: Int!) { orders(first: $n) { edges { node {
  id total { amount currency } user { name orderCount }
  items { quantity product { name price { amount currency } stock } } } } } }"""


def fetches(node: dict | None) -> int:
    if node is None:
        return 0
    if node["kind"] == "Fetch":
        return 1
    if node["kind"] == "Flatten":
        return fetches(node["node"])
    if node["kind"] == "Condition":
        return fetches(node.get("ifClause")) + fetches(node.get("elseClause"))
    return sum(fetches(n) for n in node["nodes"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000,5000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp, local_system(Path(tmp)) as local:
        print(f"{'N':>6} {'median ms':>10} {'ms/order':>9} {'fetches':>8} {'orders':>7}")
        with httpx.Client(timeout=120) as client:
            for n in sizes:
                times, plan_fetches, count = [], 0, 0
                for i in range(args.repeat + 1):
                    start = time.perf_counter()
                    r = client.post(
                        local.url,
                        json={"query": QUERY, "variables": {"n": n}},
                        headers={"x-query-plan": "true"},
                    )
                    elapsed = (time.perf_counter() - start) * 1000
                    body = r.json()
                    if "errors" in body:
                        print(f"N={n}: errors {body['errors'][:2]}", file=sys.stderr)
                        return 1
                    if i:  # the first run warms the plan cache and the databases
                        times.append(elapsed)
                    plan_fetches = fetches(body["extensions"]["queryPlan"].get("node"))
                    count = len(body["data"]["orders"]["edges"])
                med = statistics.median(times)
                print(f"{n:>6} {med:>10.1f} {med / n:>9.3f} {plan_fetches:>8} {count:>7}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
