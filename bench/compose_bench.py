"""Composition benchmark: a generated supergraph of 50 subgraphs and 2,000 types, entities shared through keys.

Each entity type is owned by one subgraph (``@key(fields: "id")``, a root field, scalar fields, a reference to
the next entity through a ``resolvable: false`` stub) and extended by two others that add their own fields.
Run: ``.venv/bin/python bench/compose_bench.py [--subgraphs 50] [--types 2000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

from gateway.composition import SubgraphSource, compose

HEADER = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])\n'
)


def generate(subgraphs: int, types: int) -> list[SubgraphSource]:
    """``subgraphs`` SDLs sharing ``types`` entity types (plus one shared value type)."""
    parts: list[list[str]] = [
        [HEADER, "type Money @shareable { amount: Int! currency: String! }"] for _ in range(subgraphs)
    ]
    roots: list[list[str]] = [[] for _ in range(subgraphs)]
    for n in range(types):
        owner = n % subgraphs
        nxt = (n + 1) % types
        parts[owner].append(
            f'type T{n} @key(fields: "id") {{ id: ID! name: String price: Money next: T{nxt} tags: [String!]! }}'
        )
        if (n + 1) % subgraphs != owner:
            parts[owner].append(f'type T{nxt} @key(fields: "id", resolvable: false) {{ id: ID! }}')
        roots[owner].append(f"t{n}(id: ID!): T{n}")
        for k in (1, 2):
            other = (owner + k * 7) % subgraphs
            if other != owner:
                parts[other].append(
                    f'type T{n} @key(fields: "id") {{ id: ID! extra{k}: Int score{k}(weight: Float = 1.0): Float }}'
                )
    sources = []
    for i in range(subgraphs):
        query = "type Query { " + " ".join(roots[i] or [f"ping{i}: Int"]) + " }"
        sources.append(
            SubgraphSource(
                f"service{i}", f"http://127.0.0.1:{5000 + i}/graphql", "\n".join([*parts[i], query])
            )
        )
    return sources


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subgraphs", type=int, default=50)
    parser.add_argument("--types", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sources = generate(args.subgraphs, args.types)
    size = sum(len(s.sdl) for s in sources)
    print(f"{args.subgraphs} subgraphs, {args.types} entity types, {size / 1024:.0f} KiB of SDL")
    timings = []
    result = None
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = compose(sources)
        timings.append(time.perf_counter() - start)
    assert result is not None
    if result.errors:
        raise SystemExit("composition failed:\n" + "\n".join(str(e) for e in result.errors[:10]))
    assert result.supergraph_sdl is not None
    print(f"supergraph: {len(result.supergraph_sdl) / 1024:.0f} KiB")
    print(
        f"compose: best {min(timings):.3f} s, median {statistics.median(timings):.3f} s over {args.repeat} runs"
    )


if __name__ == "__main__":
    main()
