"""``fedgw check``: recompose from the code and compare with the committed snapshots.

Reports drift (a subgraph's SDL or the supergraph differs from ``schema/*.graphql``) and classifies every
change of the client-facing API schema as breaking, dangerous or safe (graphql-core's
``find_breaking_changes`` / ``find_dangerous_changes``). The baseline is the supergraph at a git revision: the one
given with ``--base-ref``, else where the current branch left the main branch (the merge base with
``origin/main``, else ``main``), so refreshing and committing the snapshots on a branch does not hide a breaking
change; outside a git checkout, the committed file.
Exit status: 0 clean; 1 drift or composition errors; 2 config/SDL errors; 3 breaking changes (unless
``--allow-breaking``), also when the snapshots have drifted as well.
"""

from __future__ import annotations

import argparse
import difflib
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
)

from gateway.commands.compose import collect_sources, print_errors
from gateway.composition import SubgraphSource, compose
from gateway.config import ConfigError, load_config

__all__ = [
    "BREAKING_POLICIES",
    "SchemaChange",
    "Verdict",
    "add_parser",
    "classify_changes",
    "default_base_ref",
    "judge_composition",
    "refused_changes",
    "run",
]

EXIT_DRIFT, EXIT_SOURCE, EXIT_BREAKING = 1, 2, 3
BREAKING_POLICIES = ("refuse_breaking", "refuse_dangerous", "allow")
"""What a change of the API may not do: be breaking (the default), be breaking or dangerous, or anything."""


@dataclass(frozen=True)
class SchemaChange:
    """One API schema change: ``level`` is ``breaking``, ``dangerous`` or ``safe``."""

    level: str
    kind: str
    description: str


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "check", help="compare the composed schema with the committed snapshots", description=__doc__
    )
    parser.add_argument("--config", default="gateway.yaml", help="gateway config (default: gateway.yaml)")
    parser.add_argument(
        "--from",
        dest="sdl_from",
        choices=("url", "file", "code"),
        default="code",
        help="where SDLs come from",
    )
    parser.add_argument(
        "--base-ref",
        help="git revision whose supergraph is the baseline for API changes (default: the merge base with main)",
    )
    parser.add_argument("--allow-breaking", action="store_true", help="do not fail on breaking changes")
    parser.add_argument(
        "--breaking-policy",
        choices=BREAKING_POLICIES,
        default="refuse_breaking",
        help="which API changes fail the check (default: refuse_breaking; --allow-breaking means allow)",
    )
    parser.add_argument(
        "--registry",
        nargs="?",
        const="",
        metavar="BUCKET",
        help="check against what is live: the registry's current composition (NATS KV bucket; default "
        "GATEWAY_REGISTRY_BUCKET, else fedgw_registry) instead of the snapshots; with --service, the SDL "
        "(--from, or --sdl-file) of that one service replaces the live one",
    )
    parser.add_argument("--service", help="with --registry: the service about to be deployed")
    parser.add_argument("--sdl-file", help="with --registry --service: the service's new SDL from this file")
    parser.add_argument("--nats-url", help="with --registry: NATS server (default NATS_URL or localhost)")
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds per subgraph request (--from url)"
    )
    return parser


def _fields(schema: GraphQLSchema) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, t in schema.type_map.items():
        if name.startswith("__"):
            continue
        out[name] = t
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for fname, f in t.fields.items():
                out[f"{name}.{fname}"] = f
        if isinstance(t, GraphQLEnumType):
            for vname, v in t.values.items():
                out[f"{name}.{vname}"] = v
    return out


def classify_changes(old: GraphQLSchema, new: GraphQLSchema) -> list[SchemaChange]:
    """Breaking and dangerous changes (graphql-core), then safe ones: additions, descriptions, deprecations."""
    changes = [SchemaChange("breaking", c.type.name, c.description) for c in find_breaking_changes(old, new)]
    changes += [
        SchemaChange("dangerous", c.type.name, c.description) for c in find_dangerous_changes(old, new)
    ]
    reported = " ".join(c.description for c in changes)
    before, after = _fields(old), _fields(new)
    for coordinate, element in after.items():
        previous = before.get(coordinate)
        if previous is None:
            if coordinate not in reported:
                kind = "TYPE_ADDED" if "." not in coordinate else "FIELD_ADDED"
                changes.append(SchemaChange("safe", kind, f"{coordinate} was added."))
            continue
        if getattr(previous, "description", None) != getattr(element, "description", None):
            changes.append(
                SchemaChange("safe", "DESCRIPTION_CHANGED", f"{coordinate} has a new description.")
            )
        old_reason = getattr(previous, "deprecation_reason", None)
        new_reason = getattr(element, "deprecation_reason", None)
        if old_reason != new_reason:
            what = "deprecated" if new_reason else "no longer deprecated"
            changes.append(SchemaChange("safe", "DEPRECATION_CHANGED", f"{coordinate} is {what}."))
    return changes


def refused_changes(changes: list[SchemaChange], policy: str = "refuse_breaking") -> list[SchemaChange]:
    """The changes ``policy`` (one of :data:`BREAKING_POLICIES`) refuses."""
    if policy not in BREAKING_POLICIES:
        raise ValueError(
            f"unknown breaking-change policy {policy!r}; expected {', '.join(BREAKING_POLICIES)}"
        )
    levels = {"allow": set(), "refuse_breaking": {"breaking"}}.get(policy, {"breaking", "dangerous"})
    return [c for c in changes if c.level in levels]


@dataclass(frozen=True)
class Verdict:
    """What ``fedgw check`` concludes about a set of subgraph SDLs: the composed supergraph, or why not."""

    supergraph_sdl: str | None
    errors: tuple[str, ...] = ()  # composition errors, "CODE: message"
    changes: tuple[SchemaChange, ...] = ()
    refused: tuple[SchemaChange, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.supergraph_sdl is not None and not self.refused

    @property
    def reason(self) -> str | None:
        """One line saying why the composition is refused (None when it is accepted)."""
        if self.supergraph_sdl is None:
            return "composition failed: " + "; ".join(self.errors)
        if self.refused:
            return f"{len(self.refused)} refused change(s): " + "; ".join(
                f"{c.level} {c.kind}: {c.description}" for c in self.refused
            )
        return None


def judge_composition(
    sources: list[SubgraphSource], baseline: GraphQLSchema | None, policy: str = "refuse_breaking"
) -> Verdict:
    """Compose ``sources`` and hold the API against ``baseline`` (the API served or committed) by ``policy``:
    the checks of ``fedgw check``, shared with the gateway's registry watcher and ``fedgw check --registry``."""
    result = compose(sources)
    if result.supergraph_sdl is None or result.api_schema_sdl is None:
        return Verdict(None, tuple(f"{e.code}: {e.message}" for e in result.errors))
    if baseline is None:
        return Verdict(result.supergraph_sdl)
    changes = classify_changes(baseline, build_schema(result.api_schema_sdl))
    return Verdict(result.supergraph_sdl, (), tuple(changes), tuple(refused_changes(changes, policy)))


def _api_schema(supergraph_sdl: str) -> GraphQLSchema:
    from gateway.composition.read_supergraph import read_supergraph

    return read_supergraph(supergraph_sdl).api_schema


def _diff(old: str, new: str, name: str, limit: int = 40) -> str:
    lines = list(
        difflib.unified_diff(
            old.splitlines(), new.splitlines(), f"{name} (committed)", f"{name} (now)", lineterm=""
        )
    )
    shown = lines[:limit] + ([f"... {len(lines) - limit} more lines"] if len(lines) > limit else [])
    return "\n".join("    " + line for line in shown)


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True)
    except OSError:  # no git on this machine
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def default_base_ref() -> str | None:
    """Where the current branch left the main branch (``origin/main``, else ``main``), or None outside git."""
    for branch in ("origin/main", "main"):
        if _git("rev-parse", "--verify", "--quiet", f"{branch}^{{commit}}") is not None:
            return _git("merge-base", "HEAD", branch)
    return None


def _baseline(path: str, base_ref: str | None) -> str | None:
    if base_ref is None:
        p = Path(path)
        return p.read_text(encoding="utf-8") if p.exists() else None
    relative = (
        Path(path).resolve().relative_to(Path.cwd().resolve()) if Path(path).is_absolute() else Path(path)
    )
    shown = subprocess.run(
        ["git", "show", f"{base_ref}:{relative.as_posix()}"], capture_output=True, text=True
    )
    return shown.stdout if shown.returncode == 0 else None


def run(args: argparse.Namespace) -> int:
    if getattr(args, "registry", None) is not None:
        from gateway.commands._registry import run_registry_check

        return run_registry_check(args)
    try:
        config = load_config(args.config)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_SOURCE
    sources, problems = collect_sources(config, args.sdl_from, args.timeout)
    if problems:
        for p in problems:
            print(f"error: {p}", file=sys.stderr)
        return EXIT_SOURCE
    drift = False
    for sub, source in zip(config.subgraphs, sources, strict=True):
        if not sub.schema:
            continue
        snapshot = Path(sub.schema)
        committed = snapshot.read_text(encoding="utf-8") if snapshot.exists() else ""
        if committed.strip() != source.sdl.strip():
            drift = True
            print(f"drift: {sub.schema} differs from the SDL of '{sub.name}' ({args.sdl_from}):")
            print(_diff(committed, source.sdl, sub.schema))
    result = compose(sources)
    if result.supergraph_sdl is None:
        print_errors(result.errors)
        return EXIT_DRIFT
    committed_supergraph = (
        Path(config.supergraph).read_text(encoding="utf-8") if Path(config.supergraph).exists() else ""
    )
    if committed_supergraph.strip() != result.supergraph_sdl.strip():
        drift = True
        print(f"drift: {config.supergraph} differs from the composition of the current subgraphs:")
        print(_diff(committed_supergraph, result.supergraph_sdl, config.supergraph))
    base_ref = args.base_ref or default_base_ref()
    baseline = _baseline(config.supergraph, base_ref)
    breaking = False
    if baseline is None:
        print(f"no baseline supergraph ({base_ref or config.supergraph}); API changes not classified")
    else:
        assert result.api_schema_sdl is not None
        try:
            old_api = _api_schema(baseline)
        except Exception as e:  # the baseline is not a supergraph read_supergraph accepts
            print(f"error: the baseline supergraph cannot be read: {e}", file=sys.stderr)
            return EXIT_DRIFT
        changes = classify_changes(old_api, build_schema(result.api_schema_sdl))
        against = f"{base_ref}:{config.supergraph}" if base_ref else config.supergraph
        print(f"API schema changes against {against}: {len(changes) or 'none'}")
        for c in changes:
            print(f"  {c.level.upper():<9} {c.kind:<32} {c.description}")
        breaking = bool(refused_changes(changes, getattr(args, "breaking_policy", "refuse_breaking")))
    if drift:
        print(
            "snapshots are out of date: run `fedgw compose --from code` and commit schema/", file=sys.stderr
        )
    if breaking and not args.allow_breaking:
        print(
            "breaking changes found: fix them, or pass --allow-breaking if they are intended", file=sys.stderr
        )
        return EXIT_BREAKING
    if drift:
        return EXIT_DRIFT
    print("ok: snapshots up to date" + (" (breaking changes allowed)" if breaking else ""))
    return 0
