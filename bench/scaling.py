"""Scaling on the demo services: a page of N orders with users, items and products, for growing N.

Starts the whole local system (`python -m gateway up`) on free ports and fresh SQLite files, then for each N
prints the median wall time of the query through the gateway, the time per order, and the number of subgraph
fetches in its plan: time should grow about linearly with N, fetches should stay constant.

    .venv/bin/python bench/scaling.py [--sizes 10,100,1000,5000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
QUERY = """query Page($n: Int!) { orders(first: $n) { edges { node {
  id total { amount currency } user { name orderCount }
  items { quantity product { name price { amount currency } stock } } } } } }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        config = yaml.safe_load((ROOT / "gateway.yaml").read_text())
        for sub in config["subgraphs"]:
            sub["url"] = f"http://127.0.0.1:{free_port()}/graphql"
            sub["schema"] = str(ROOT / sub["schema"])
        config.pop("supergraph", None)
        (base / "gateway.yaml").write_text(yaml.safe_dump(config))
        port = free_port()
        log = base / "up.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "gateway", "up", "--config", str(base / "gateway.yaml"),
                 "--port", str(port), "--data-dir", str(base / "data")],
                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + 180
            while "GraphiQL:" not in log.read_text():
                if proc.poll() is not None or time.monotonic() > deadline:
                    print(log.read_text(), file=sys.stderr)
                    return 1
                time.sleep(0.3)
            url = f"http://127.0.0.1:{port}/graphql"
            print(f"{'N':>6} {'median ms':>10} {'ms/order':>9} {'fetches':>8} {'orders':>7}")
            with httpx.Client(timeout=120) as client:
                for n in sizes:
                    times, plan_fetches, count = [], 0, 0
                    for i in range(args.repeat + 1):
                        start = time.perf_counter()
                        r = client.post(url, json={"query": QUERY, "variables": {"n": n}},
                                        headers={"x-query-plan": "true"})
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
        finally:
            proc.send_signal(2)
            proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
