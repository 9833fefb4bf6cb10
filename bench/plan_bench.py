"""Cold query-planning time: plan each query once per fresh parse (no plan cache), report the best and median.

Run: .venv/bin/python bench/plan_bench.py [supergraph.graphql] [--no-worst]
"fresh query graph" plans on a supergraph whose query graph has computed nothing yet (the very first plans
after loading); "warm" is any later plan cache miss. Then the gateway benchmark's operation
(bench/federation/workload.py, both variants) on bench/supergraph.graphql: its cold plan time is what a plan
cache miss costs under bench/run.py. Each figure is wall time and, after "CPU", the process's CPU time for
the same plans (what other load on a shared machine disturbs least).

Last, the worst plan: every conformance case (tests/conformance, each on its federation's supergraph) and
``--generated`` operations drawn as bench/differential.py draws them (tests/conformance/generator.py, seed
``--seed``) on the demo supergraph composed from schema/*.graphql. Every operation is planned once on a warm
query graph to rank them; the ten slowest are planned again cold (fresh query graph, median of 10), and the
worst is printed with its document.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

from graphql import DocumentNode, parse, validate

from gateway.composition import SubgraphSource, compose
from gateway.composition.read_supergraph import read_supergraph
from gateway.composition.supergraph import Supergraph
from gateway.planning import plan_operation
from gateway.planning.errors import PlanningError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "tests" / "fixtures" / "supergraphs" / "shop.apollo.graphql"
WORKLOAD_SUPERGRAPH = ROOT / "bench" / "supergraph.graphql"
DEMO_SUBGRAPHS = sorted(p for p in (ROOT / "schema").glob("*.graphql") if p.stem != "supergraph")
GENERATED = 2000
SEED = 1
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


def _plan_times(
    supergraph: Supergraph, document: DocumentNode, operation_name: str | None
) -> tuple[float, float]:
    """Wall and CPU milliseconds of one plan."""
    start, cpu = time.perf_counter(), time.process_time()
    plan_operation(supergraph, document, operation_name)
    return (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000


def cold(sdl: str, query: str, operation_name: str | None, rounds: int) -> tuple[list[float], list[float]]:
    """Wall and CPU times of ``rounds`` plans, each on a fresh supergraph (a query graph with nothing computed)."""
    wall, cpu = [], []
    for _ in range(rounds):
        supergraph = read_supergraph(sdl)  # untimed
        document = parse(query)
        w, c = _plan_times(supergraph, document, operation_name)
        wall.append(w)
        cpu.append(c)
    return wall, cpu


def measure(label: str, sdl: str, query: str, operation_name: str | None = None) -> None:
    """Print the median plan time on fresh supergraphs (cold) and the best and median on a warm one."""
    supergraph = read_supergraph(sdl)
    fresh, fresh_cpu = cold(sdl, query, operation_name, 20)
    samples, samples_cpu = [], []
    for _ in range(200):
        document = parse(query)  # a fresh document: nothing cached per operation
        w, c = _plan_times(supergraph, document, operation_name)
        samples.append(w)
        samples_cpu.append(c)
    median = statistics.median
    print(
        f"{label:24s} fresh query graph: median {median(fresh):6.3f} ms (CPU {median(fresh_cpu):6.3f}); "
        f"warm query graph: best {min(samples):6.3f} ms, median {median(samples):6.3f} ms "
        f"(CPU {median(samples_cpu):6.3f})"
    )


def _operations() -> list[tuple[str, str, str, str | None]]:
    """(label, supergraph SDL, document, operation name) of every conformance case and generated operation."""
    from tests.conformance.generator import generate
    from tests.conformance.test_reference import CASES

    out: list[tuple[str, str, str, str | None]] = []
    sdls: dict[str, str] = {}
    for case in CASES:
        if case.federation.name not in sdls:
            sdls[case.federation.name] = case.federation.supergraph_sdl()
        out.append((f"conformance case {case.id}", sdls[case.federation.name], case.query, None))
    sources = [SubgraphSource(p.stem, f"http://{p.stem}/graphql", p.read_text()) for p in DEMO_SUBGRAPHS]
    demo = compose(sources)
    assert demo.supergraph_sdl is not None, [str(e) for e in demo.errors]
    api_schema = read_supergraph(demo.supergraph_sdl).api_schema
    for op in generate(api_schema, GENERATED, seed=SEED):
        out.append((f"generated operation {op.index} (seed {SEED})", demo.supergraph_sdl, op.query, None))
    return out


def worst_plan() -> None:
    """Rank every operation on warm query graphs, re-measure the slowest cold, print the worst."""
    operations = _operations()
    supergraphs: dict[str, Supergraph] = {}
    ranked: list[tuple[float, int]] = []
    refused = 0
    for i, (_, sdl, query, name) in enumerate(operations):
        supergraph = supergraphs.get(sdl)
        if supergraph is None:
            supergraph = supergraphs[sdl] = read_supergraph(sdl)
        document = parse(query)
        if validate(supergraph.api_schema, document):
            refused += 1  # a case about validation errors: the gateway never plans it
            continue
        try:
            plan_operation(supergraph, document, name)  # warms the query graph
            ranked.append((_plan_times(supergraph, document, name)[1], i))
        except PlanningError:
            refused += 1
    ranked.sort(reverse=True)
    worst: list[tuple[float, float, int]] = []
    for _, i in ranked[:10]:
        _, sdl, query, name = operations[i]
        wall, cpu = cold(sdl, query, name, 10)
        worst.append((statistics.median(cpu), statistics.median(wall), i))
    cpu, wall, i = max(worst)
    label, _, query, _ = operations[i]
    print(
        f"worst cold plan of {len(ranked)} operations ({refused} refused before or by planning): {label}, "
        f"fresh query graph: median {wall:6.3f} ms (CPU {cpu:6.3f}); its document:"
    )
    print("\n".join("    " + line for line in query.strip().splitlines()))


def main() -> None:
    one, five, fifteen = os.getloadavg()
    print(f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores")
    args = [a for a in sys.argv[1:] if a != "--no-worst"]
    path = Path(args[0]) if args else DEFAULT
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
    if "--no-worst" not in sys.argv:
        worst_plan()
    one, five, fifteen = os.getloadavg()
    print(f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
