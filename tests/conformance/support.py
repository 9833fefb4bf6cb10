"""Small federation subgraphs from SDL + static data, composed and run behind our planner and executor.

A ``Subgraph`` is a Federation 2 SDL and a dict of data; ``Subgraph.app()`` is an ASGI GraphQL app (graphql-core)
that answers ``_service { sdl }`` and ``_entities`` as the subgraph spec says
(https://www.apollographql.com/docs/federation/subgraph-spec/). A ``Federation`` is a named set of subgraphs,
composed once with ``gateway.composition.compose``. A ``Case`` is one operation with its exact expected response
and the number of sequential fetches its plan may take; ``run_case`` checks all three against our gateway.
The same cases run against the reference gateway in ``test_reference.py``.

Data conventions (``Subgraph.data``):

* ``data["Query"]`` / ``data["Mutation"]``: the root object; a value may be a callable ``(parent, args) -> value``.
* Objects are dicts keyed by field name; abstract values carry ``"__typename"``; callables compute a field from
  the parent (which, for entities, includes the representation, so ``@requires`` fields are there) and args.
* ``data["entities"][TypeName]``: a list of dicts (a representation matches an object when every field they have
  in common is equal), or a callable ``(representation) -> object | None`` (may raise ``GraphQLError``).
"""

from __future__ import annotations

import copy
import json
import random
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLError,
    GraphQLSchema,
    build_ast_schema,
    graphql,
    parse,
)

from gateway.composition import SubgraphSource, compose
from gateway.composition.supergraph import Supergraph
from gateway.execution import ErrorMasking, Executor, HttpxSubgraphClient
from gateway.planning.plan import (
    ConditionNode,
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanNode,
    QueryPlan,
    SequenceNode,
)
from gateway.server import Gateway, GraphQLRequest, Limits, ServerSettings

__all__ = [
    "Case",
    "Federation",
    "Subgraph",
    "case_params",
    "comparable_errors",
    "fetch_count",
    "normalise_for_reference",
    "run_case",
    "sequential_fetches",
]

_FEDERATION_PRELUDE = """
scalar _Any
scalar FieldSet
scalar federation__FieldSet
scalar link__Import
type _Service { sdl: String! }
directive @link(url: String!, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA
enum link__Purpose { SECURITY EXECUTION }
directive @key(fields: FieldSet!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
directive @requires(fields: FieldSet!) on FIELD_DEFINITION
directive @provides(fields: FieldSet!) on FIELD_DEFINITION
directive @external on OBJECT | FIELD_DEFINITION
directive @shareable repeatable on OBJECT | FIELD_DEFINITION
directive @override(from: String!, label: String) on FIELD_DEFINITION
directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM \
| ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION \
| SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
directive @interfaceObject on OBJECT
"""

LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@requires", '
    '"@provides", "@external", "@shareable", "@override", "@inaccessible", "@tag", "@interfaceObject"])\n'
)

_KEY_TYPE = re.compile(r"\btype\s+(\w+)[^{]*?@key\(", re.S)


Resolver = Callable[..., Any]


@dataclass
class Subgraph:
    """One subgraph: its name, its SDL (without the ``@link``, which ``LINK`` adds) and its data."""

    name: str
    sdl: str
    data: dict[str, Any] = field(default_factory=dict)
    # A raw HTTP answer instead of GraphQL: (status, content type, body). For broken-subgraph tests.
    raw_response: tuple[int, str, bytes] | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def full_sdl(self) -> str:
        return LINK + self.sdl

    @cached_property
    def entity_types(self) -> list[str]:
        return sorted(set(_KEY_TYPE.findall(self.sdl)))

    @cached_property
    def schema(self) -> GraphQLSchema:
        sdl = self.sdl
        extra = ""
        if self.entity_types:
            extra += f"union _Entity = {' | '.join(self.entity_types)}\n"
        fields = "_service: _Service!\n"
        if self.entity_types:
            fields += "_entities(representations: [_Any!]!): [_Entity]!\n"
        has_query = re.search(r"(?<!extend )\btype\s+Query\b", sdl) is not None
        extra += f"extend type Query {{ {fields} }}\n" if has_query else f"type Query {{ {fields} }}\n"
        document = parse(_FEDERATION_PRELUDE + sdl + "\n" + extra)
        return build_ast_schema(document, assume_valid_sdl=True)

    def _find_entity(self, representation: dict[str, Any]) -> Any:
        typename = representation.get("__typename")
        source = self.data.get("entities", {}).get(typename)
        if source is None:
            return None
        if callable(source):
            try:
                found = source(representation)
            except GraphQLError as error:
                # Raised again by type resolution, so the error stands at ["_entities", i] like a real subgraph's.
                return {"__error__": error}
        else:
            found = next((o for o in source if _matches(o, representation)), None)
        if found is None:
            return None
        return {**found, **representation, "__typename": found.get("__typename", typename)}

    async def execute(self, body: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(body)
        document = body.get("query") or ""
        root: dict[str, Any] = {
            **copy.copy(self.data.get("Query", {})),
            "_service": {"sdl": self.full_sdl},
            "_entities": lambda _parent, args: [self._find_entity(r) for r in args["representations"]],
        }
        if document.lstrip().startswith("mutation"):
            root = self.data.get("Mutation", {})
        result = await graphql(
            self.schema,
            document,
            root_value=root,
            variable_values=body.get("variables"),
            operation_name=body.get("operationName"),
            field_resolver=_resolve_field,
            type_resolver=_resolve_type,
        )
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            out["errors"] = [e.formatted for e in result.errors]
        return out

    def app(self) -> Any:
        """An ASGI app answering GraphQL POSTs at any path."""

        async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] == "lifespan":
                while True:
                    message = await receive()
                    if message["type"] == "lifespan.startup":
                        await send({"type": "lifespan.startup.complete"})
                    elif message["type"] == "lifespan.shutdown":
                        await send({"type": "lifespan.shutdown.complete"})
                        return
            chunks = []
            while True:
                message = await receive()
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    break
            if self.raw_response is not None:
                status, content_type, payload = self.raw_response
            else:
                result = await self.execute(json.loads(b"".join(chunks) or b"{}"))
                status, content_type, payload = 200, "application/json", json.dumps(result).encode()
            headers = [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(payload)).encode()),
            ]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": payload})

        return asgi


def _matches(obj: Any, rep: Any) -> bool:
    if isinstance(obj, dict) and isinstance(rep, dict):
        common = [k for k in rep if k != "__typename" and k in obj]
        return bool(common) and all(_matches(obj[k], rep[k]) for k in common)
    return bool(obj == rep)


def _resolve_field(source: Any, info: Any, **args: Any) -> Any:
    if not isinstance(source, Mapping):
        return None
    value = source.get(info.field_name)
    if callable(value):
        return value(source, args)
    return value


def _resolve_type(value: Any, info: Any, abstract_type: Any) -> str | None:
    if isinstance(value, Mapping):
        if "__error__" in value:
            raise value["__error__"]
        name = value.get("__typename")
        return name if isinstance(name, str) else None
    return None


ORACLE_DIR = Path(__file__).resolve().parents[1] / "composition" / "oracle"


def compose_with_oracle(sources: Sequence[SubgraphSource]) -> str | None:
    """The reference composer's (``@theguild/federation-composition``) supergraph SDL, or None if it refuses too."""
    if shutil.which("node") is None or not (ORACLE_DIR / "node_modules").is_dir():
        return None
    payload = json.dumps([{"name": s.name, "url": s.url, "sdl": s.sdl} for s in sources])
    done = subprocess.run(
        ["node", str(ORACLE_DIR / "compose.mjs")], input=payload.encode(), capture_output=True, timeout=120
    )
    if done.returncode != 0:
        return None
    sdl = json.loads(done.stdout).get("supergraphSdl")
    return sdl if isinstance(sdl, str) else None


@dataclass
class Federation:
    """A named set of subgraphs, composed once by our composer (by the reference composer where ours refuses)."""

    name: str
    subgraphs: Sequence[Subgraph]
    composer_refusal: str | None = field(default=None, init=False)

    def sources(self, urls: Mapping[str, str] | None = None) -> list[SubgraphSource]:
        return [
            SubgraphSource(s.name, (urls or {}).get(s.name, f"http://{s.name}/graphql"), s.full_sdl)
            for s in self.subgraphs
        ]

    def supergraph_sdl(self, urls: Mapping[str, str] | None = None) -> str:
        """Our composer's supergraph; where it refuses, the reference composer's (``composer_refusal`` says why).

        ``test_composition.py`` asserts that our composer accepts every set, so a refusal still fails a test.
        """
        result = compose(self.sources(urls))
        if result.ok and result.supergraph_sdl is not None:
            return result.supergraph_sdl
        self.composer_refusal = "; ".join(str(e) for e in result.errors)
        reference = compose_with_oracle(self.sources(urls))
        if reference is None:
            raise AssertionError(f"{self.name} does not compose: {self.composer_refusal}")
        return reference

    @cached_property
    def supergraph(self) -> Supergraph:
        from gateway.composition.read_supergraph import read_supergraph

        return read_supergraph(self.supergraph_sdl())

    def clear_requests(self) -> None:
        for s in self.subgraphs:
            s.requests.clear()

    def gateway(self, *, enabled_percent: bool = False) -> tuple[Gateway, HttpxSubgraphClient]:
        """Our gateway over the in-process subgraphs; ``percent(N)`` labels always (or never) roll."""
        client = HttpxSubgraphClient({s.name: s.app() for s in self.subgraphs})
        rng = _FixedRoll(0.0 if enabled_percent else 0.999999)
        gateway = Gateway(
            self.supergraph,
            # Subgraph errors pass through (as in development): the suites check where they go, not masking.
            executor=Executor(self.supergraph, client, masking=ErrorMasking(include_all=True)),
            # Federation semantics, not operation limits: some cases select more aliases than the defaults allow.
            settings=ServerSettings(
                expose_query_plan=True, limits=Limits(max_aliases=None, max_root_fields=None)
            ),
            rng=rng,
        )
        return gateway, client


class _FixedRoll(random.Random):
    """A ``random.Random`` whose ``random()`` always returns one value (so ``percent(N)`` labels roll or not)."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


@dataclass
class Case:
    """One operation over a federation: the exact expected response and the plan's sequential fetches.

    ``reference``: None when the reference gateway must answer the same; else why it differs (the spec decides,
    and the differential test skips the case). ``xfail``: a known bug of our gateway, precisely described.
    """

    id: str
    federation: Federation
    query: str
    expected: dict[str, Any]
    depth: int | None = None
    variables: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    enabled_percent: bool = False
    reference: str | None = None
    xfail: str | None = None
    fetches: int | None = None
    # Called before the operation runs (on either gateway), e.g. to reset state that mutations change.
    setup: Callable[[], None] | None = None
    # False where messages are the server's own words (validation errors): compare data and error paths only.
    exact: bool = True


def case_params(cases: Sequence[Case]) -> list[Any]:
    """One pytest param per case; known bugs of our gateway are strict xfails."""
    return [
        pytest.param(c, id=c.id, marks=[pytest.mark.xfail(reason=c.xfail, strict=True)] if c.xfail else [])
        for c in cases
    ]


def sequential_fetches(node: PlanNode | None) -> int:
    """The longest chain of fetches that must run one after another."""
    if node is None:
        return 0
    if isinstance(node, FetchNode):
        return 1
    if isinstance(node, FlattenNode):
        return sequential_fetches(node.node)
    if isinstance(node, SequenceNode):
        return sum(sequential_fetches(n) for n in node.nodes)
    if isinstance(node, ParallelNode):
        return max((sequential_fetches(n) for n in node.nodes), default=0)
    if isinstance(node, ConditionNode):
        return max(sequential_fetches(node.if_clause), sequential_fetches(node.else_clause))
    raise TypeError(node)


def fetch_count(node: PlanNode | None) -> int:
    """How many fetches the plan holds."""
    if node is None:
        return 0
    if isinstance(node, FetchNode):
        return 1
    if isinstance(node, FlattenNode):
        return 1
    if isinstance(node, (SequenceNode, ParallelNode)):
        return sum(fetch_count(n) for n in node.nodes)
    if isinstance(node, ConditionNode):
        return fetch_count(node.if_clause) + fetch_count(node.else_clause)
    raise TypeError(node)


async def run_case(case: Case) -> tuple[dict[str, Any], QueryPlan]:
    """Run ``case`` through our gateway and assert its response and its plan's depth."""
    gateway, client = case.federation.gateway(enabled_percent=case.enabled_percent)
    case.federation.clear_requests()
    if case.setup is not None:
        case.setup()
    try:
        result = await gateway.execute(
            GraphQLRequest(case.query, case.variables), headers={"x-query-plan": "true", **case.headers}
        )
    finally:
        await client.aclose()
    labels = gateway.override_labels(case.headers)
    planned = gateway.plan(case.query, None, labels)
    plan = planned if isinstance(planned, QueryPlan) else QueryPlan(None)
    if not isinstance(planned, QueryPlan):
        assert case.depth is None and case.fetches is None, planned
    result.pop("extensions", None)
    if case.exact:
        assert result == case.expected, json.dumps(plan.to_json())
        # Response maps are ordered (GraphQL spec 7.2.2): fields in the order the operation selects them.
        assert json.dumps(result.get("data")) == json.dumps(case.expected.get("data")), "field order differs"
    else:
        assert normalise_for_reference(result) == normalise_for_reference(case.expected), result
    if case.depth is not None:
        depth = sequential_fetches(plan.node)
        assert depth == case.depth, f"depth {depth}: {json.dumps(plan.to_json())}"
    if case.fetches is not None:
        count = fetch_count(plan.node)
        assert count == case.fetches, f"{count} fetches: {json.dumps(plan.to_json())}"
    return result, plan


def comparable_errors(response: Mapping[str, Any]) -> list[Any]:
    """Errors reduced to what two gateways must agree on: the set of paths (messages differ)."""
    paths = {json.dumps(e.get("path")) for e in response.get("errors") or []}
    return sorted(paths)


def normalise_for_reference(response: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` exactly, errors by path (and presence)."""
    return {"data": response.get("data"), "errors": comparable_errors(response)}
