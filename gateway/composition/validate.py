"""Checks on the merged supergraph: ``@inaccessible`` consistency and the validity of the API schema.

``@inaccessible``: https://specs.apollo.dev/inaccessible/v0.2 (an element in the API schema may not reference
an inaccessible one; a visible type may not have only inaccessible children). Interface rules after merging:
every implementation must have every interface field (``INTERFACE_FIELD_NO_IMPLEM``).
"""

from __future__ import annotations

from graphql import GraphQLError, build_ast_schema, validate_schema

from gateway.composition.errors import CompositionError
from gateway.composition.merge import MergedSupergraph
from gateway.composition.parse_sdl import parse_sdl
from gateway.composition.schema_validity import schema_surely_valid
from gateway.composition.sdl_validity import sdl_surely_valid
from gateway.composition.supergraph import TypeKind
from gateway.composition.types import named

__all__ = ["check_api_schema", "check_inaccessible"]


def check_inaccessible(model: MergedSupergraph) -> list[CompositionError]:
    """``@inaccessible`` rules of the inaccessible spec, each reported with the element and its subgraphs."""
    errors: list[CompositionError] = []
    types = model.types

    def hidden_type(name: str) -> bool:
        t = types.get(name)
        return t is not None and t.inaccessible

    def add(code: str, message: str, graphs: list[str], t: str, f: str | None = None) -> None:
        errors.append(CompositionError.of(code, message, graphs, t, f))

    query = types.get("Query")
    if query is not None and query.inaccessible:
        add(
            "QUERY_ROOT_TYPE_INACCESSIBLE",
            'Type "Query" is @inaccessible but is the query root type, which must be in the API schema; remove @inaccessible from it.',
            list(query.sources),
            "Query",
        )
    for t in types.values():
        if t.inaccessible:
            continue
        graphs = list(t.sources)
        if t.kind in (TypeKind.OBJECT, TypeKind.INTERFACE, TypeKind.INPUT_OBJECT):
            visible = [f for f in t.fields.values() if not f.inaccessible]
            if t.fields and not visible:
                add(
                    "ONLY_INACCESSIBLE_CHILDREN",
                    f'Type "{t.name}" is in the API schema but all of its fields are @inaccessible; make one field accessible or mark the type @inaccessible.',
                    graphs,
                    t.name,
                )
            for f in t.fields.values():
                fgraphs = list(f.sources) or graphs
                if f.inaccessible:
                    if t.kind is TypeKind.INPUT_OBJECT and f.type.endswith("!") and f.default is None:
                        add(
                            "REQUIRED_INACCESSIBLE",
                            f'Input field "{t.name}.{f.name}" is @inaccessible but is a required input field of a type in the API schema; make it optional or accessible.',
                            fgraphs,
                            t.name,
                            f.name,
                        )
                    for i in t.implements:
                        it = types.get(i)
                        if (
                            it
                            and not it.inaccessible
                            and f.name in it.fields
                            and not it.fields[f.name].inaccessible
                        ):
                            add(
                                "IMPLEMENTED_BY_INACCESSIBLE",
                                f'Field "{t.name}.{f.name}" is @inaccessible but implements the interface field "{i}.{f.name}", which is in the API schema; mark both or neither @inaccessible.',
                                fgraphs,
                                t.name,
                                f.name,
                            )
                    continue
                if hidden_type(named(f.type)):
                    add(
                        "REFERENCED_INACCESSIBLE",
                        f'Type "{named(f.type)}" is @inaccessible but is referenced by "{t.name}.{f.name}", which is in the API schema; mark "{t.name}.{f.name}" @inaccessible too or make the type accessible.',
                        fgraphs,
                        t.name,
                        f.name,
                    )
                for a in f.args.values():
                    if a.inaccessible:
                        if a.type.endswith("!") and a.default is None:
                            add(
                                "REQUIRED_INACCESSIBLE",
                                f'Argument "{t.name}.{f.name}({a.name}:)" is @inaccessible but is a required argument of a field in the API schema; make it optional or accessible.',
                                fgraphs,
                                t.name,
                                f.name,
                            )
                    elif hidden_type(named(a.type)):
                        add(
                            "REFERENCED_INACCESSIBLE",
                            f'Type "{named(a.type)}" is @inaccessible but is referenced by "{t.name}.{f.name}({a.name}:)", which is in the API schema; mark the argument @inaccessible or make the type accessible.',
                            fgraphs,
                            t.name,
                            f.name,
                        )
        elif t.kind is TypeKind.ENUM:
            if t.values and all(v.inaccessible for v in t.values.values()):
                add(
                    "ONLY_INACCESSIBLE_CHILDREN",
                    f'Type "{t.name}" is in the API schema but all of its values are @inaccessible; make one value accessible or mark the type @inaccessible.',
                    graphs,
                    t.name,
                )
        elif t.kind is TypeKind.UNION:
            if t.members and all(hidden_type(m) for m in t.members):
                add(
                    "ONLY_INACCESSIBLE_CHILDREN",
                    f'Type "{t.name}" is in the API schema but all of its members are @inaccessible; make one member accessible or mark the union @inaccessible.',
                    graphs,
                    t.name,
                )
    return errors


def check_api_schema(model: MergedSupergraph, api_sdl: str) -> list[CompositionError]:
    """Interface implementations after merging, then the API schema built and validated by graphql-core."""
    errors: list[CompositionError] = []
    for t in model.types.values():
        for i in t.implements:
            it = model.types.get(i)
            if it is None:
                continue
            for fn, f in it.fields.items():
                if fn not in t.fields:
                    have = sorted(it.fields[fn].sources)
                    errors.append(
                        CompositionError.of(
                            "INTERFACE_FIELD_NO_IMPLEM",
                            f'Interface field "{i}.{fn}" is declared in {", ".join(repr(g) for g in have)} but type "{t.name}", which implements "{i}" in {", ".join(repr(g) for g in t.implements[i])}, does not have field "{fn}"; add the field to "{t.name}" in the subgraph(s) where it implements "{i}".',
                            sorted(set(have) | set(t.implements[i])),
                            t.name,
                            fn,
                        )
                    )
                    _ = f
    if errors:
        return errors
    try:
        document = parse_sdl(api_sdl)
        valid_sdl = sdl_surely_valid(document)
        if valid_sdl and schema_surely_valid(document):
            return []
        problems = validate_schema(build_ast_schema(document, assume_valid_sdl=valid_sdl))
    except (GraphQLError, TypeError) as e:
        return [CompositionError.of("INVALID_GRAPHQL", f"The API schema of the supergraph is not valid: {e}")]
    return [
        CompositionError.of("INVALID_GRAPHQL", f"The API schema of the supergraph is not valid: {p.message}")
        for p in problems
    ]
