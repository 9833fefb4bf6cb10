"""Per-subgraph checks of ``@key``, ``@requires`` and ``@provides`` field sets, and what each field set uses.

Rules from https://www.apollographql.com/docs/federation/federated-schemas/federated-directives and the error
codes of https://www.apollographql.com/docs/federation/errors (``KEY_*``, ``REQUIRES_*``, ``PROVIDES_*``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.composition.errors import CompositionError
from gateway.composition.field_set import walk_field_set
from gateway.composition.subgraph import SubgraphField, SubgraphSchema
from gateway.composition.supergraph import TypeKind
from gateway.composition.types import named

__all__ = ["FieldSetUsage", "check_field_sets"]

_EXTERNAL_HINT = (
    "(if the field is defined in another subgraph, you need to add it to this subgraph with @external)"
)


@dataclass
class FieldSetUsage:
    """The ``(type, field)`` pairs a subgraph's keys, requires and provides select."""

    key: set[tuple[str, str]] = field(default_factory=set)
    requires: set[tuple[str, str]] = field(default_factory=set)
    provides: set[tuple[str, str]] = field(default_factory=set)
    # Implementation fields of the subgraph's interface fields (used "to satisfy an interface").
    interface: set[tuple[str, str]] = field(default_factory=set)

    def uses(self, type_name: str, field_name: str) -> bool:
        pair = (type_name, field_name)
        return pair in self.key or pair in self.requires or pair in self.provides or pair in self.interface


def _provided_by_this(f: SubgraphField) -> str:
    if f.fake_external:
        return (
            '"effectively" provided by this subgraph (while it is marked @external, it is a @key field of an '
            "extension type, which are not internally considered external for historical/backward compatibility "
            "reasons); remove it from the field set"
        )
    return "provided by this subgraph (it is not marked @external); mark it @external or remove it from the field set"


def check_field_sets(sub: SubgraphSchema) -> tuple[FieldSetUsage, list[CompositionError]]:
    """Validate every field set of ``sub``; return what they select."""
    usage = FieldSetUsage()
    errors: list[CompositionError] = []
    g = sub.name

    def err(code: str, message: str, t: str, f: str | None = None) -> None:
        errors.append(CompositionError.of(code, f"[{g}] {message}", [g], t, f))

    for t in sub.types.values():
        for i in t.interfaces:
            it = sub.types.get(i)
            if it is not None and it.kind is TypeKind.INTERFACE:
                usage.interface.update((t.name, f) for f in it.fields if f in t.fields)
        for key in t.keys:
            where = f'On type "{t.name}", for @key(fields: "{key.fields}")'
            if t.kind not in (TypeKind.OBJECT, TypeKind.INTERFACE):
                continue
            selected, problems = walk_field_set(sub.shape, t.name, key.fields)
            for p in problems:
                err(
                    "KEY_INVALID_FIELDS",
                    f"{where}: {p.message}" + (f" {_EXTERNAL_HINT}" if p.kind == "unknown" else ""),
                    t.name,
                )
            for s in selected:
                usage.key.add((s.type_name, s.field_name))
                ntype = sub.shape.get_type(named(s.definition.type))
                if s.definition.args:
                    err(
                        "KEY_FIELDS_HAS_ARGS",
                        f"{where}: field {s.type_name}.{s.field_name} cannot be included because it has arguments (fields with argument are not allowed in @key)",
                        t.name,
                        s.field_name,
                    )
                if ntype is not None and ntype.kind in (TypeKind.INTERFACE, TypeKind.UNION):
                    kind = "Interface" if ntype.kind is TypeKind.INTERFACE else "Union"
                    err(
                        "KEY_FIELDS_SELECT_INVALID_TYPE",
                        f'{where}: field "{s.type_name}.{s.field_name}" is a{"n" if kind == "Interface" else ""} {kind} type which is not allowed in @key',
                        t.name,
                        s.field_name,
                    )
        for f in t.fields.values():
            if t.kind not in (TypeKind.OBJECT, TypeKind.INTERFACE):
                continue
            if f.requires is not None:
                where = f'On field "{t.name}.{f.name}", for @requires(fields: "{f.requires}")'
                selected, problems = walk_field_set(sub.shape, t.name, f.requires)
                for p in problems:
                    err(
                        "REQUIRES_INVALID_FIELDS",
                        f"{where}: {p.message}" + (f" {_EXTERNAL_HINT}" if p.kind == "unknown" else ""),
                        t.name,
                        f.name,
                    )
                for s in selected:
                    usage.requires.add((s.type_name, s.field_name))
                    decl = sub.types.get(s.type_name)
                    sf = decl.fields.get(s.field_name) if decl else None
                    if s.depth == 0 and sf is not None and not sf.external:
                        err(
                            "REQUIRES_FIELDS_MISSING_EXTERNAL",
                            f'{where}: field "{s.type_name}.{s.field_name}" should not be part of a @requires since it is already {_provided_by_this(sf)}',
                            t.name,
                            f.name,
                        )
            if f.provides is not None:
                where = f'On field "{t.name}.{f.name}", for @provides(fields: "{f.provides}")'
                target = sub.types.get(named(f.type))
                if target is None or target.kind not in (TypeKind.OBJECT, TypeKind.INTERFACE, TypeKind.UNION):
                    err(
                        "PROVIDES_ON_NON_OBJECT_FIELD",
                        f'Invalid @provides directive on field "{t.name}.{f.name}": field has type "{f.type}" which is not a Composite Type; @provides only applies to fields returning objects',
                        t.name,
                        f.name,
                    )
                    continue
                selected, problems = walk_field_set(sub.shape, target.name, f.provides)
                for p in problems:
                    err(
                        "PROVIDES_INVALID_FIELDS",
                        f"{where}: {p.message}" + (f" {_EXTERNAL_HINT}" if p.kind == "unknown" else ""),
                        t.name,
                        f.name,
                    )
                for s in selected:
                    usage.provides.add((s.type_name, s.field_name))
                    decl = sub.types.get(s.type_name)
                    sf = decl.fields.get(s.field_name) if decl else None
                    if s.depth == 0 and sf is not None and not sf.external and sub.fed2:
                        err(
                            "PROVIDES_FIELDS_MISSING_EXTERNAL",
                            f'{where}: field "{s.type_name}.{s.field_name}" should not be part of a @provides since it is already {_provided_by_this(sf)}',
                            t.name,
                            f.name,
                        )
    return usage, errors
