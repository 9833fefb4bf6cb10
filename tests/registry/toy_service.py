"""A small federation subgraph for the registry tests and ``bench/reload.py``, run as its own process.

``python -m tests.registry.toy_service --name toys --variant v1 --port P``: a Strawberry subgraph built by the
services' own app factory (``subgraphs.common.app``), so it registers, heartbeats and deregisters exactly as
the real services do (``REGISTRY_BUCKET``, ``SERVICE_URL``, ``REPLICA_ID`` from the environment). Variants:

- ``v1``: ``Toy @key(id) { id name replica }``, ``Query.toys``, ``Mutation.bump``;
- ``v2``: ``v1`` plus ``Toy.color`` (additive);
- ``broken``: ``v1`` without ``Toy.name`` (breaking);
- ``extra``: a second service (``--name extras``) with ``Query.extra``;
- ``extra-breaking``: ``extras`` without ``Query.extra``, with ``Query.other`` (breaking);
- ``extra-conflict``: ``extras`` with a non-shareable ``Toy.name`` of its own (does not compose);
- ``fields``: ``v1`` plus ``Toy.f1`` ... ``Toy.f40`` (the bench registers subsets of it).

``Toy.replica`` answers the replica id, so a test sees which replica served a query.
"""

import argparse
import os
from typing import Any

import strawberry
from sqlalchemy.orm import DeclarativeBase

from subgraphs.common.app import create_subgraph_app
from subgraphs.common.db import Database
from subgraphs.common.runner import serve

REPLICA = os.environ.get("REPLICA_ID", "local")
COUNTER = {"bumps": 0}


class _Base(DeclarativeBase):
    pass


def _numbered(i: int) -> Any:
    return lambda root: f"{root.toy_id}-{i}"


def _toy_fields(variant: str) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": strawberry.field(resolver=lambda root: strawberry.ID(root.toy_id)),
        "replica": strawberry.field(resolver=lambda: REPLICA),
    }
    if variant != "broken":
        fields["name"] = strawberry.field(resolver=lambda root: f"toy {root.toy_id}")
    if variant == "v2":
        fields["color"] = strawberry.field(resolver=lambda root: "red")
    if variant == "fields":
        for i in range(1, 41):
            fields[f"f{i}"] = strawberry.field(resolver=_numbered(i))
    return fields


def toy_schema(variant: str) -> strawberry.federation.Schema:
    if variant.startswith("extra"):
        return _extras_schema(variant)
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__annotations__": annotations, "toy_id": strawberry.Private[str]}
    for name, value in _toy_fields(variant).items():
        namespace[name] = value
        annotations[name] = strawberry.ID if name == "id" else str
    namespace["__annotations__"]["toy_id"] = strawberry.Private[str]
    Toy = strawberry.federation.type(keys=["id"])(type("Toy", (), namespace))

    def resolve_reference(cls: Any, id: strawberry.ID) -> Any:
        return Toy(toy_id=str(id))

    Toy.resolve_reference = classmethod(resolve_reference)

    @strawberry.type
    class Query:
        @strawberry.field
        def toys(self, first: int = 3) -> list[Toy]:  # type: ignore[valid-type]
            return [Toy(toy_id=str(i)) for i in range(1, first + 1)]

    @strawberry.type
    class Mutation:
        @strawberry.mutation
        def bump(self) -> int:
            COUNTER["bumps"] += 1
            return COUNTER["bumps"]

    return strawberry.federation.Schema(query=Query, mutation=Mutation, types=[Toy])


def _extras_schema(variant: str) -> strawberry.federation.Schema:
    types: list[Any] = []
    if variant == "extra-conflict":

        @strawberry.federation.type(keys=["id"])
        class Toy:
            id: strawberry.ID
            name: str

            @classmethod
            def resolve_reference(cls, id: strawberry.ID) -> "Toy":
                return Toy(id=id, name="other")

        types.append(Toy)

    if variant == "extra-breaking":

        @strawberry.type
        class Query:
            @strawberry.field
            def other(self) -> str:
                return "other"

    else:

        @strawberry.type
        class Query:  # type: ignore[no-redef]
            @strawberry.field
            def extra(self) -> str:
                return f"extra from {REPLICA}"

    return strawberry.federation.Schema(query=Query, types=types)


def create_app(name: str, variant: str) -> Any:
    return create_subgraph_app(
        name=name,
        schema=toy_schema(variant),
        database=Database("sqlite+aiosqlite://", _Base),
        context=lambda db: {},
        migrations=None,  # keeps no tables
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", default="toys")
    parser.add_argument("--variant", default="v1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    os.environ.setdefault("SERVICE_URL", f"http://127.0.0.1:{args.port}/graphql")
    serve(create_app(args.name, args.variant), "127.0.0.1", args.port, "warning")


if __name__ == "__main__":
    main()
