"""The registry from the command line: what is live in it, read once (``check --registry``, ``status``)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from gateway.registry.entries import ServiceEntry
from gateway.registry.store import DEFAULT_BUCKET, DEFAULT_NATS_URL, list_entries, open_bucket

__all__ = ["bucket_name", "live_entries", "nats_url", "run_registry_check"]


def bucket_name(given: str | None) -> str:
    return given or os.environ.get("GATEWAY_REGISTRY_BUCKET") or DEFAULT_BUCKET


def nats_url(given: str | None) -> str:
    return given or os.environ.get("NATS_URL") or DEFAULT_NATS_URL


async def _read(url: str, bucket: str) -> tuple[list[ServiceEntry], list[str]]:
    import nats

    nc = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=0, allow_reconnect=False)
    try:
        kv = await open_bucket(nc, bucket, ttl=1.0, create=False)
        return await list_entries(kv)
    finally:
        await nc.close()


def live_entries(url: str, bucket: str) -> tuple[list[ServiceEntry], list[str]]:
    """Every entry of ``bucket`` (and the invalid ones' problems); OSError-like failures as RuntimeError."""
    try:
        return asyncio.run(_read(url, bucket))
    except Exception as error:
        raise RuntimeError(
            f"cannot read registry bucket '{bucket}' at {url}: {type(error).__name__}: {error}"
        ) from None


def run_registry_check(args: argparse.Namespace) -> int:
    """``fedgw check --registry``: would the live composition accept this code's SDL(s)? Exit status as for
    ``fedgw check``: 0 accepted, 1 composition errors, 2 source errors, 3 refused changes."""
    from gateway.commands._sdl import SdlSourceError, subgraph_sdl
    from gateway.commands.check import EXIT_BREAKING, EXIT_DRIFT, EXIT_SOURCE, judge_composition
    from gateway.composition import SubgraphSource
    from gateway.config import ConfigError, load_config
    from gateway.registry.rollout import choices

    bucket, url = bucket_name(args.registry), nats_url(args.nats_url)
    try:
        entries, problems = live_entries(url, bucket)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_SOURCE
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    services: dict[str, list[ServiceEntry]] = {}
    for entry in entries:
        services.setdefault(entry.service, []).append(entry)
    live = choices(services, {})
    if not live:
        print(f"the registry '{bucket}' has no live service; nothing to check against", file=sys.stderr)
        return EXIT_SOURCE
    candidates: dict[str, str] = {}
    if args.sdl_file:
        if not args.service:
            print("error: --sdl-file needs --service", file=sys.stderr)
            return EXIT_SOURCE
        try:
            candidates[args.service] = Path(args.sdl_file).read_text(encoding="utf-8")
        except OSError as error:
            print(f"error: cannot read {args.sdl_file}: {error.strerror}", file=sys.stderr)
            return EXIT_SOURCE
    else:
        try:
            config = load_config(args.config)
        except ConfigError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_SOURCE
        wanted = [args.service] if args.service else [s.name for s in config.subgraphs]
        for name in wanted:
            try:
                candidates[name] = subgraph_sdl(config.subgraph(name), args.sdl_from, timeout=args.timeout)
            except KeyError:
                print(f"error: no subgraph '{name}' in {args.config}", file=sys.stderr)
                return EXIT_SOURCE
            except SdlSourceError as error:
                print(f"error: {error}", file=sys.stderr)
                return EXIT_SOURCE
    baseline = judge_composition([SubgraphSource(n, c.url, c.sdl) for n, c in live.items()], None)
    if baseline.supergraph_sdl is None:
        print(f"warning: what is live does not compose ({baseline.reason}); checking composition only")
        baseline_api = None
    else:
        from gateway.composition.read_supergraph import read_supergraph

        baseline_api = read_supergraph(baseline.supergraph_sdl).api_schema
    sources = [SubgraphSource(n, c.url, candidates.pop(n, c.sdl)) for n, c in live.items()]
    sources += [SubgraphSource(n, f"http://{n}.invalid/graphql", sdl) for n, sdl in candidates.items()]
    policy = "allow" if args.allow_breaking else args.breaking_policy
    verdict = judge_composition(sources, baseline_api, policy)
    names = ", ".join(sorted(s.name for s in sources))
    print(f"against registry '{bucket}' at {url} (live: {', '.join(sorted(live))}; composed: {names})")
    if verdict.supergraph_sdl is None:
        print("composition failed:", file=sys.stderr)
        for line in verdict.errors:
            print(f"  {line}", file=sys.stderr)
        return EXIT_DRIFT
    print(f"API schema changes against what is live: {len(verdict.changes) or 'none'}")
    for c in verdict.changes:
        print(f"  {c.level.upper():<9} {c.kind:<32} {c.description}")
    if verdict.refused:
        print(f"refused by policy {policy}: the gateway would keep the live supergraph", file=sys.stderr)
        return EXIT_BREAKING
    print("ok: the gateway would accept this composition")
    return 0
