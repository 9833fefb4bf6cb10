"""``fedgw status``: services, replicas, health, the supergraph generation and the last refused change.

Replicas come from the registry (the NATS KV bucket, as services registered themselves); health, routing,
circuits, the generation served and why the last change was refused from the gateway's ``/ready`` details
(``--gateway``, default http://127.0.0.1:4000). Either may be away; what can be read is printed. Exit status:
0 when the gateway is ready, 1 otherwise.
"""

from __future__ import annotations

import argparse
import datetime
import os
from typing import Any

import httpx

from gateway.commands._registry import bucket_name, live_entries, nats_url

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "status",
        help="services, replicas, health, supergraph generation, last refused change",
        description=__doc__,
    )
    parser.add_argument(
        "--gateway",
        default=os.environ.get("GATEWAY_URL", "http://127.0.0.1:4000"),
        help="the gateway's base URL (default GATEWAY_URL, else http://127.0.0.1:4000)",
    )
    parser.add_argument(
        "--registry", metavar="BUCKET", help="registry bucket (default GATEWAY_REGISTRY_BUCKET)"
    )
    parser.add_argument("--nats-url", help="NATS server (default NATS_URL or localhost)")
    parser.add_argument("--json", action="store_true", help="print the raw /ready details and entries")
    return parser


def _when(at: Any) -> str:
    if not isinstance(at, int | float):
        return "?"
    return datetime.datetime.fromtimestamp(at, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def run(args: argparse.Namespace) -> int:
    bucket, url = bucket_name(args.registry), nats_url(args.nats_url)
    ready: dict[str, Any] | None = None
    try:
        response = httpx.get(args.gateway.rstrip("/") + "/ready", timeout=5)
        ready = response.json()
    except (httpx.HTTPError, ValueError) as error:
        print(f"gateway at {args.gateway}: not reachable ({type(error).__name__})")
    try:
        entries, problems = live_entries(url, bucket)
    except RuntimeError as error:
        entries, problems = [], [str(error)]
    if args.json:
        import orjson

        print(
            orjson.dumps(
                {"ready": ready, "entries": [e.__dict__ | {"sdl": e.sdl_digest} for e in entries]},
                option=orjson.OPT_INDENT_2,
            ).decode()
        )
        return 0 if ready and ready.get("status") == "ready" else 1
    registry = (ready or {}).get("registry") or {}
    if ready is not None:
        generation = ready.get("generation", registry.get("generation", "?"))
        print(f"gateway {args.gateway}: {ready.get('status')} (supergraph generation {generation})")
        if ready.get("reason"):
            print(f"  {ready['reason']}")
    seen = registry.get("services", {})
    print(f"registry '{bucket}' at {url}: {len(entries)} replica(s)")
    for problem in problems:
        print(f"  ! {problem}")
    by_service: dict[str, list[Any]] = {}
    for entry in entries:
        by_service.setdefault(entry.service, []).append(entry)
    for name in sorted(set(by_service) | set(seen)):
        view = seen.get(name, {})
        served = view.get("served_sdl")
        print(f"  {name}" + (f"  (serving SDL {served})" if served else "  (not in the served supergraph)"))
        states = {r.get("replica"): r for r in view.get("replicas", [])}
        for entry in sorted(by_service.get(name, []), key=lambda e: e.started_at):
            state = states.get(entry.replica, {})
            if state:
                rotation = (
                    "in rotation"
                    if (state.get("routed") and state.get("healthy") and state.get("circuit") == "closed")
                    else "out of rotation"
                )
                health = (
                    f"{'healthy' if state.get('healthy') else 'unhealthy'}, circuit {state.get('circuit')}, "
                    f"{'routed' if state.get('routed') else 'not routed'}, {rotation}"
                )
                if state.get("reason"):
                    health += f" ({state['reason']})"
            else:
                health = "not seen by the gateway"
            print(
                f"    {entry.replica:<28} {entry.url:<36} v{entry.version or '?'} sdl {entry.sdl_digest}  {health}"
            )
    refusal = registry.get("last_refusal")
    if refusal:
        print(f"last refused change ({_when(refusal.get('at'))}): {refusal.get('reason')}")
        for change in refusal.get("changes", []):
            print(f"    {change}")
    elif ready is not None and registry:
        print("no change refused")
    return 0 if ready and ready.get("status") == "ready" else 1
