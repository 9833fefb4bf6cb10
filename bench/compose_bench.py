"""Composition benchmark: a generated supergraph of 50 subgraphs and 2,000 types, entities shared through keys.

Each entity type is owned by one subgraph (``@key(fields: "id")``, a root field, scalar fields, a reference to
the next entity through a ``resolvable: false`` stub) and extended by two others that add their own fields.
Each round composes once in a fresh process, ours (``gateway.composition.compose``) then Apollo's
(``composeServices`` of ``@apollo/composition``, tests/composition/oracle/time_compose.mjs, every SDL parsed
inside the timing as ours is) on the same SDLs, and prints both times with their peak RSS.
Run: ``.venv/bin/python bench/compose_bench.py [--subgraphs 50] [--types 2000] [--rounds 3] [--no-apollo]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the gateway package, when run as a script

from gateway.composition import SubgraphSource, compose  # noqa: E402

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


ORACLE = ROOT / "tests" / "composition" / "oracle"


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


def _run(command: list[str]) -> tuple[dict[str, Any], float]:
    """Run ``command``, return its JSON output and its peak RSS in MiB (``wait4``'s, per child)."""
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE, cwd=ROOT)
        assert process.stderr is not None
        stderr = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise SystemExit(f"{command[0]} failed: {stderr.decode(errors='replace')[-2000:]}")
        out.seek(0)
        return json.loads(out.read()), usage.ru_maxrss / 1024


def compose_once(subgraphs: int, types: int) -> None:
    """One cold composition in this fresh process (the SDLs generated untimed), printed as JSON."""
    sources = generate(subgraphs, types)
    start, cpu = time.perf_counter(), time.process_time()
    result = compose(sources)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    errors = [str(e) for e in result.errors[:10]]
    size = len(result.supergraph_sdl or "")
    print(json.dumps({"seconds": seconds, "cpu": cpu, "ok": result.ok, "errors": errors, "supergraph": size}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subgraphs", type=int, default=50)
    parser.add_argument("--types", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-apollo", action="store_true", help="time ours only")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        compose_once(args.subgraphs, args.types)
        return
    sources = generate(args.subgraphs, args.types)
    size = sum(len(s.sdl) for s in sources)
    print(f"{args.subgraphs} subgraphs, {args.types} entity types, {size / 1024:.0f} KiB of SDL; {_load()}")
    apollo = not args.no_apollo
    if apollo and not (ORACLE / "node_modules" / "@apollo" / "composition").is_dir():
        subprocess.run(["npm", "ci", "--silent"], cwd=ORACLE, check=True)
    ours_child = [sys.executable, str(Path(__file__).resolve()), "--child"]
    ours_child += ["--subgraphs", str(args.subgraphs), "--types", str(args.types)]
    ours: list[float] = []
    theirs: list[float] = []
    ours_cpu: list[float] = []
    theirs_cpu: list[float] = []
    with tempfile.NamedTemporaryFile("w", suffix=".json") as payload:
        json.dump([{"name": s.name, "url": s.url, "sdl": s.sdl} for s in sources], payload)
        payload.flush()
        for n in range(1, args.rounds + 1):
            mine, mine_rss = _run(ours_child)
            if not mine["ok"]:
                raise SystemExit("our composition failed:\n" + "\n".join(mine["errors"]))
            ours.append(mine["seconds"])
            ours_cpu.append(mine["cpu"])
            line = f"round {n}: ours {ours[-1]:.3f} s, CPU {ours_cpu[-1]:.3f} s, peak RSS {mine_rss:.0f} MiB"
            if apollo:
                other, other_rss = _run(["node", str(ORACLE / "time_compose.mjs"), payload.name, "1"])
                if not other["ok"]:
                    raise SystemExit("@apollo/composition failed:\n" + "\n".join(other["errors"]))
                theirs.append(other["seconds"][0])
                theirs_cpu.append(other["cpu"][0])
                line += f"; @apollo/composition {theirs[-1]:.3f} s, CPU {theirs_cpu[-1]:.3f} s"
                line += f", peak RSS {other_rss:.0f} MiB; ours/apollo x{ours[-1] / theirs[-1]:.2f}"
            print(line, flush=True)
    print(f"supergraph: {mine['supergraph'] / 1024:.0f} KiB; {_load()}")
    median = statistics.median
    summary = f"compose, cold, median of {args.rounds}: ours {median(ours):.3f} s (best {min(ours):.3f})"
    summary += f", CPU {median(ours_cpu):.3f} s"
    if apollo:
        summary += f"; @apollo/composition {median(theirs):.3f} s (best {min(theirs):.3f})"
        summary += f", CPU {median(theirs_cpu):.3f} s; ours/apollo x{median(ours) / median(theirs):.2f}"
        summary += f", CPU x{median(ours_cpu) / median(theirs_cpu):.2f}"
    print(summary)
    for label, value in (("wall", min(ours)), ("CPU", median(ours_cpu))):
        verdict = "met" if value < 1 else "BELOW TARGET"
        print(
            f"target ours < 1 s ({label}, {'best' if label == 'wall' else 'median'}): {value:.3f} s, {verdict}"
        )


if __name__ == "__main__":
    main()
