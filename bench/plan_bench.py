"""Cold query-planning time: plan each query once per fresh parse (no plan cache), report the best and median.

Run: .venv/bin/python bench/plan_bench.py [supergraph.graphql]
"fresh query graph" plans on a supergraph whose query graph has computed nothing yet (the very first plans
after loading); "warm" is any later plan cache miss. The last lines plan the gateway benchmark's operation
(bench/federation/workload.py, both variants) on bench/supergraph.graphql: its cold plan time is what a plan
cache miss costs under bench/run.py.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from graphql import parse

from gateway.composition.read_supergraph import read_supergraph
from gateway.planning import plan_operation

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "tests" / "fixtures" / "supergraphs" / "shop.apollo.graphql"
WORKLOAD_SUPERGRAPH = ROOT / "bench" / "supergraph.graphql"
sys.path.insert(0, str(ROOT))  # bench.federation, when run as a script

from bench.federation.workload import IDENTICAL_QUERY, VARYING_QUERY  # noqa: E402

QUERIES = {
    "one subgraph": "{ me { name username } }",
    "3 levels, 4 subgraphs": """
        query Top($n: Int) {
          topProducts(first: $n) {
            name price inStock shippingEstimate
            reviews { body rating author { name username reviews { body } } }
          }
        }""",
    "fragments + conditions": """
        query Q($n: Int, $withReviews: Boolean!) {
          topProducts(first: $n) { ...P reviews @include(if: $withReviews) { ...R } }
          me { ...U }
        }
        fragment P on Product { upc name warehouse { name } }
        fragment R on Review { body author { ...U } product { ...P } }
        fragment U on User { id name birthDate(locale: "en") }""",
    "mutation sequence": """
        mutation { a: updateName(id: "1", name: "x") { name reviews { body } }
                   addProduct(upc: "1", name: "p") { name inStock } }""",
}


def measure(label: str, sdl: str, query: str, operation_name: str | None = None) -> None:
    """Print the median plan time on fresh supergraphs (cold) and the best and median on a warm one."""
    supergraph = read_supergraph(sdl)
    fresh = []
    for _ in range(20):
        new_supergraph = read_supergraph(sdl)  # untimed: a query graph with nothing computed yet
        document = parse(query)
        start = time.perf_counter()
        plan_operation(new_supergraph, document, operation_name)
        fresh.append((time.perf_counter() - start) * 1000)
    samples = []
    for _ in range(200):
        document = parse(query)  # a fresh document: nothing cached per operation
        start = time.perf_counter()
        plan_operation(supergraph, document, operation_name)
        samples.append((time.perf_counter() - start) * 1000)
    print(
        f"{label:24s} fresh query graph: median {statistics.median(fresh):6.3f} ms; "
        f"warm query graph: best {min(samples):6.3f} ms, median {statistics.median(samples):6.3f} ms"
    )


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    t0 = time.perf_counter()
    read_supergraph(path.read_text())
    t1 = time.perf_counter()
    print(f"read_supergraph({path.name}): {(t1 - t0) * 1000:.2f} ms")
    sdl = path.read_text()
    for label, query in QUERIES.items():
        measure(label, sdl, query)
    workload_sdl = WORKLOAD_SUPERGRAPH.read_text()
    print(
        f"gateway benchmark operation on {WORKLOAD_SUPERGRAPH.relative_to(ROOT)} (cold = fresh query graph):"
    )
    measure("workload, identical", workload_sdl, IDENTICAL_QUERY, "TestQuery")
    measure("workload, varying", workload_sdl, VARYING_QUERY, "TestQuery")


if __name__ == "__main__":
    main()
