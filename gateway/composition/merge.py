"""Merge normalised subgraphs into one supergraph model, checking the Federation 2 merge rules.

https://www.apollographql.com/docs/federation/federated-schemas/composition: object types and interfaces
take the union of their fields (a field resolved by several subgraphs must be ``@shareable``), input types and
arguments the intersection, enums the union (output-only), intersection (input-only) or must match (both);
unions the union of members. Descriptions: the most common one wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from gateway.composition.demands import merge_demands
from gateway.composition.directives import FieldSetUsage
from gateway.composition.errors import CompositionError
from gateway.composition.subgraph import (
    SubgraphArgument,
    SubgraphField,
    SubgraphSchema,
    SubgraphType,
)
from gateway.composition.supergraph import Demands, EventSource, TypeKind
from gateway.composition.types import input_merge, named, output_merge

__all__ = [
    "MergedArgument",
    "MergedEnumValue",
    "MergedField",
    "MergedSupergraph",
    "MergedType",
    "graph_enum_names",
    "merge_subgraphs",
]

_KIND_NAMES = {
    TypeKind.OBJECT: "Object Type",
    TypeKind.INTERFACE: "Interface Type",
    TypeKind.UNION: "Union Type",
    TypeKind.ENUM: "Enum Type",
    TypeKind.INPUT_OBJECT: "Input Object Type",
    TypeKind.SCALAR: "Scalar Type",
}
_LABEL = re.compile(r"^(percent\((\d{1,2}(\.\d{1,8})?|100)\)|[a-zA-Z][a-zA-Z0-9_\-:.]*)$")


@dataclass
class MergedArgument:
    name: str
    type: str
    default: str | None = None
    description: str | None = None
    deprecated: str | None = None
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    cost: int | None = None


@dataclass
class MergedField:
    """A supergraph field; ``sources`` maps each subgraph that declares it to its declaration.

    ``overridden`` maps a subgraph that lost the field to an ``@override`` to ``"used"`` (still needed for its
    keys/requires: ``usedOverridden``) or ``"dropped"``; ``progressive`` maps the source of a labelled
    (progressive) override to the label, under which it stops resolving the field; ``via_interface_object`` marks a field an implementation
    only has through an ``@interfaceObject`` (printed with an empty ``@join__field``).
    """

    name: str
    type: str
    sources: dict[str, SubgraphField] = field(default_factory=dict)
    args: dict[str, MergedArgument] = field(default_factory=dict)
    description: str | None = None
    deprecated: str | None = None
    default: str | None = None
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    overridden: dict[str, str] = field(default_factory=dict)
    progressive: dict[str, str] = field(default_factory=dict)
    via_interface_object: bool = False
    all_types_equal: bool = True
    demands: Demands = field(default_factory=Demands)
    event_source: EventSource | None = None

    def resolving(self) -> list[str]:
        """Subgraphs that resolve the field themselves (not external, not overridden away)."""
        return [g for g, f in self.sources.items() if not f.external and g not in self.overridden]


@dataclass
class MergedEnumValue:
    name: str
    graphs: list[str] = field(default_factory=list)
    description: str | None = None
    deprecated: str | None = None
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)


@dataclass
class MergedType:
    name: str
    kind: TypeKind
    sources: dict[str, SubgraphType] = field(default_factory=dict)
    fields: dict[str, MergedField] = field(default_factory=dict)
    implements: dict[str, list[str]] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)
    values: dict[str, MergedEnumValue] = field(default_factory=dict)
    description: str | None = None
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    specified_by: str | None = None
    one_of: bool = False
    demands: Demands = field(default_factory=Demands)


@dataclass
class MergedSupergraph:
    subgraphs: list[SubgraphSchema]
    types: dict[str, MergedType]
    graph_enum: dict[str, str]
    usage: dict[str, FieldSetUsage]
    uses_override_labels: bool = False

    def subgraph(self, name: str) -> SubgraphSchema:
        return next(s for s in self.subgraphs if s.name == name)


def graph_enum_names(names: Sequence[str]) -> dict[str, str]:
    """``join__Graph`` value per subgraph: CONSTANT_CASE of its name, made unique."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for n in names:
        base = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", n)
        base = re.sub(r"([A-Z])([A-Z][a-z])", r"\1_\2", base)
        base = re.sub(r"[^A-Za-z0-9]+", "_", base).strip("_").upper() or "GRAPH"
        if base[0].isdigit():
            base = "_" + base
        candidate, i = base, 1
        while candidate in taken:
            candidate, i = f"{base}_{i}", i + 1
        taken.add(candidate)
        out[n] = candidate
    return out


def _description(values: Iterable[str | None]) -> str | None:
    """The description most subgraphs give, ties to the first in subgraph order; an empty one loses to any
    other (composition-js ``mergeDescription``)."""
    counts: dict[str, int] = {}
    for v in values:
        if v is not None:
            counts[v] = counts.get(v, 0) + 1
    if not counts:
        return None
    best = max(counts, key=lambda d: (d != "", counts[d] if d != "" else 0))
    return best or None


def _tags(lists: Iterable[list[str]]) -> list[str]:
    out: list[str] = []
    for tags in lists:
        for t in tags:
            if t not in out:
                out.append(t)
    return out


def _applied(lists: Iterable[list[str]], composed: set[str]) -> list[str]:
    out: list[str] = []
    for applied in lists:
        for a in applied:
            if a[1:].split("(")[0] in composed and a not in out:
                out.append(a)
    return out


class _Merger:
    def __init__(self, subgraphs: list[SubgraphSchema], usage: dict[str, FieldSetUsage]) -> None:
        self.subgraphs = subgraphs
        self.usage = usage
        self.errors: list[CompositionError] = []
        self.types: dict[str, MergedType] = {}
        self.composed = {n for s in subgraphs for n in s.composed}
        self.supertypes: dict[str, set[str]] = {}
        for s in subgraphs:
            for t in s.types.values():
                for i in t.interfaces:
                    self.supertypes.setdefault(t.name, set()).add(i)
                for m in t.members:
                    self.supertypes.setdefault(m, set()).add(t.name)
        # Where each type is first used as an input and as an output (for enum merging and its messages).
        self.input_use: dict[str, str] = {}
        self.output_use: dict[str, str] = {}
        for s in subgraphs:
            for t in s.types.values():
                for f in t.fields.values():
                    if t.kind is TypeKind.INPUT_OBJECT:
                        self.input_use.setdefault(f.named_type, f"{t.name}.{f.name}")
                    else:
                        self.output_use.setdefault(f.named_type, f"{t.name}.{f.name}")
                        for a in f.args.values():
                            self.input_use.setdefault(named(a.type), f"{t.name}.{f.name}({a.name}:)")

    def err(
        self,
        code: str,
        message: str,
        graphs: Sequence[str] = (),
        type_name: str | None = None,
        field_name: str | None = None,
    ) -> None:
        self.errors.append(CompositionError.of(code, message, graphs, type_name, field_name))

    def is_subtype(self, sub: str, sup: str) -> bool:
        seen: set[str] = set()
        todo = [sub]
        while todo:
            t = todo.pop()
            for s in self.supertypes.get(t, ()):
                if s == sup:
                    return True
                if s not in seen:
                    seen.add(s)
                    todo.append(s)
        return False

    # -- types ---------------------------------------------------------------------------------------------

    def run(self) -> None:
        sources: dict[str, dict[str, SubgraphType]] = {}
        for s in self.subgraphs:
            for t in s.types.values():
                sources.setdefault(t.name, {})[s.name] = t
        if "Query" in sources:
            # Every subgraph has a query root (``_entities``, ``_service``), so every graph joins ``Query``.
            have = sources["Query"]
            sources["Query"] = {
                s.name: have.get(s.name) or SubgraphType("Query", TypeKind.OBJECT) for s in self.subgraphs
            }
        for name in sorted(sources):
            by_graph = sources[name]
            kinds = {g: (TypeKind.INTERFACE if t.interface_object else t.kind) for g, t in by_graph.items()}
            if len(set(kinds.values())) > 1:
                parts = [f'{_KIND_NAMES[k]} in subgraph "{g}"' for g, k in kinds.items()]
                self.err(
                    "TYPE_KIND_MISMATCH",
                    f'Type "{name}" has mismatched kind: it is defined as {" but ".join(parts)}. A type must be the same kind in every subgraph; rename one of them.',
                    list(by_graph),
                    name,
                )
                continue
            kind = next(iter(kinds.values()))
            mt = MergedType(name, kind, sources=by_graph)
            mt.description = _description(t.description for t in by_graph.values())
            mt.inaccessible = any(t.inaccessible for t in by_graph.values())
            mt.tags = _tags(t.tags for t in by_graph.values())
            mt.applied = _applied((t.applied for t in by_graph.values()), self.composed)
            mt.specified_by = next((t.specified_by for t in by_graph.values() if t.specified_by), None)
            mt.one_of = any(t.one_of for t in by_graph.values())
            mt.demands = merge_demands(t.demands for t in by_graph.values())
            self.types[name] = mt
            if kind in (TypeKind.OBJECT, TypeKind.INTERFACE):
                self.merge_composite(mt)
            elif kind is TypeKind.INPUT_OBJECT:
                self.merge_input(mt)
            elif kind is TypeKind.ENUM:
                self.merge_enum(mt)
            elif kind is TypeKind.UNION:
                for g, t in by_graph.items():
                    for m in t.members:
                        mt.members.setdefault(m, []).append(g)
        self.add_interface_object_fields()

    def merge_composite(self, mt: MergedType) -> None:
        for g, t in mt.sources.items():
            if not t.interface_object:
                for i in t.interfaces:
                    mt.implements.setdefault(i, []).append(g)
            for f in t.fields.values():
                mf = mt.fields.get(f.name)
                if mf is None:
                    mf = mt.fields[f.name] = MergedField(f.name, f.type)
                mf.sources[g] = f
        for mf in mt.fields.values():
            self.merge_field(mt, mf)

    def merge_field(self, mt: MergedType, mf: MergedField) -> None:
        decls = list(mf.sources.items())
        mf.description = _description(f.description for _, f in decls)
        mf.deprecated = next((f.deprecated for _, f in decls if f.deprecated), None)
        mf.inaccessible = any(f.inaccessible for _, f in decls)
        mf.tags = _tags(f.tags for _, f in decls)
        mf.applied = _applied((f.applied for _, f in decls), self.composed)
        resolving = [(g, f) for g, f in decls if not f.external] or decls
        # Merged directives come from the declarations that resolve the field (composition-js
        # ``validateAndFilterExternal``).
        mf.demands = merge_demands(f.demands for g, f in decls if not f.external)
        mf.event_source = next((f.event_source for _, f in decls if f.event_source is not None), None)
        if mf.event_source is not None and mt.name != "Subscription":
            self.err(
                "INVALID_EVENT_DIRECTIVE",
                f'[{mf.event_source.graph}] "{mt.name}.{mf.name}": an event directive belongs on a Subscription field.',
                [mf.event_source.graph],
                mt.name,
                mf.name,
            )
        merged: str | None = resolving[0][1].type
        for _, f in resolving[1:]:
            merged = output_merge(merged, f.type, self.is_subtype) if merged is not None else None
            if merged is None:
                parts = [f'type "{f2.type}" in subgraph "{g2}"' for g2, f2 in resolving]
                self.err(
                    "FIELD_TYPE_MISMATCH",
                    f'Type of field "{mt.name}.{mf.name}" is incompatible across subgraphs: it has {" but ".join(parts)}. Make the types agree (they may differ only in nullability, or by an implementation of the same interface/union).',
                    [g2 for g2, _ in resolving],
                    mt.name,
                    mf.name,
                )
                return
        assert merged is not None
        mf.type = merged
        mf.all_types_equal = all(f.type == merged for _, f in decls)
        for g, f in decls:
            # Apollo and The Guild both want the @external declaration to repeat the supergraph type exactly.
            if f.external and f.type != merged:
                self.err(
                    "EXTERNAL_TYPE_MISMATCH",
                    f'Type of field "{mt.name}.{mf.name}" is incompatible across subgraphs (where marked @external): it has type "{merged}" in the subgraphs resolving it but type "{f.type}" in subgraph "{g}". Declare the @external field with exactly that type.',
                    [g],
                    mt.name,
                    mf.name,
                )
        self.merge_arguments(mt, mf, [(g, f) for g, f in decls if not f.external] or decls)

    def merge_arguments(
        self, mt: MergedType, mf: MergedField, decls: list[tuple[str, SubgraphField]]
    ) -> None:
        names: list[str] = []
        for _, f in decls:
            names.extend(a for a in f.args if a not in names)
        for an in names:
            present = [(g, f.args[an]) for g, f in decls if an in f.args]
            missing = [g for g, f in decls if an not in f.args]
            if missing:
                required = [g for g, a in present if a.type.endswith("!") and a.default is None]
                if required:
                    self.err(
                        "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH",
                        f'Argument "{mt.name}.{mf.name}({an}:)" is required in some subgraphs but does not appear in all subgraphs: it is required in {_graphs(required)} but does not appear in {_graphs(missing)}. Add the argument to every subgraph or make it optional.',
                        required + missing,
                        mt.name,
                        mf.name,
                    )
                continue
            merged_arg = self.merge_input_value(
                f"{mt.name}.{mf.name}({an}:)", present, "Argument", mt.name, mf.name
            )
            if merged_arg is not None:
                mf.args[an] = merged_arg

    def merge_input_value(
        self,
        where: str,
        present: list[tuple[str, SubgraphArgument]] | list[tuple[str, SubgraphField]],
        what: str,
        type_name: str,
        field_name: str,
    ) -> MergedArgument | None:
        merged: str | None = present[0][1].type
        for _, a in present[1:]:
            merged = input_merge(merged, a.type) if merged is not None else None
        if merged is None:
            parts = [f'type "{a.type}" in subgraph "{g}"' for g, a in present]
            code = "FIELD_ARGUMENT_TYPE_MISMATCH" if what == "Argument" else "FIELD_TYPE_MISMATCH"
            self.err(
                code,
                f'Type of {what.lower()} "{where}" is incompatible across subgraphs: it has {" but ".join(parts)}. Make the types agree (they may differ only in nullability).',
                [g for g, _ in present],
                type_name,
                field_name,
            )
            return None
        defaults = {a.default for _, a in present if a.default is not None}
        if len(defaults) > 1:
            parts = [
                f'default value {a.default} in subgraph "{g}"' for g, a in present if a.default is not None
            ]
            self.err(
                "FIELD_ARGUMENT_DEFAULT_MISMATCH" if what == "Argument" else "INPUT_FIELD_DEFAULT_MISMATCH",
                f'{what} "{where}" has incompatible default values across subgraphs: it has {" but ".join(parts)}. Use the same default value everywhere (or none).',
                [g for g, _ in present],
                type_name,
                field_name,
            )
        # A default only some subgraphs declare is dropped: the others would not apply it.
        default = present[0][1].default if all(a.default is not None for _, a in present) else None
        # @cost merges by the largest weight (federation-internals' argumentCompositionStrategies.MAX).
        costs = [c for _, a in present if (c := _input_cost(a)) is not None]
        return MergedArgument(
            present[0][1].name,
            merged,
            default=default,
            description=_description(a.description for _, a in present),
            deprecated=next((a.deprecated for _, a in present if a.deprecated), None),
            inaccessible=any(a.inaccessible for _, a in present),
            tags=_tags(a.tags for _, a in present),
            applied=_applied((a.applied for _, a in present), self.composed),
            cost=max(costs) if costs else None,
        )

    def merge_input(self, mt: MergedType) -> None:
        names: list[str] = []
        for t in mt.sources.values():
            names.extend(n for n in t.fields if n not in names)
        for fn in names:
            present = [(g, t.fields[fn]) for g, t in mt.sources.items() if fn in t.fields]
            missing = [g for g, t in mt.sources.items() if fn not in t.fields]
            if missing:
                required = [g for g, f in present if f.type.endswith("!") and f.default is None]
                if required:
                    self.err(
                        "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH",
                        f'Input object field "{mt.name}.{fn}" is required in some subgraphs but does not appear in all subgraphs: it is required in {_graphs(required)} but does not appear in {_graphs(missing)}. Add the field to every subgraph or make it optional.',
                        required + missing,
                        mt.name,
                        fn,
                    )
                continue
            merged = self.merge_input_value(f"{mt.name}.{fn}", present, "Input field", mt.name, fn)
            if merged is not None:
                mf = MergedField(fn, merged.type, sources=dict(present), description=merged.description)
                mf.deprecated, mf.default, mf.inaccessible = (
                    merged.deprecated,
                    merged.default,
                    merged.inaccessible,
                )
                mf.tags, mf.applied = merged.tags, merged.applied
                mf.demands = Demands(cost=merged.cost)
                mf.all_types_equal = all(f.type == merged.type for _, f in present)
                mt.fields[fn] = mf
        if not mt.fields:
            self.err(
                "EMPTY_MERGED_INPUT_TYPE",
                f'None of the fields of input object type "{mt.name}" are consistently defined in all the subgraphs defining that type ({_graphs(list(mt.sources))}); input types merge by intersection, so define at least one field in all of them.',
                list(mt.sources),
                mt.name,
            )

    def merge_enum(self, mt: MergedType) -> None:
        as_input, as_output = mt.name in self.input_use, mt.name in self.output_use
        all_values: list[str] = []
        for t in mt.sources.values():
            all_values.extend(v for v in t.values if v not in all_values)
        for vn in all_values:
            graphs = [g for g, t in mt.sources.items() if vn in t.values]
            missing = [g for g in mt.sources if g not in graphs]
            if any(mt.sources[g].values[vn].inaccessible for g in graphs):
                missing = []  # hidden from clients, so no client can send it where a subgraph lacks it
            if missing and as_input and as_output:
                self.err(
                    "ENUM_VALUE_MISMATCH",
                    f'Enum type "{mt.name}" is used as both input type (for example, as type of "{self.input_use[mt.name]}") and output type (for example, as type of "{self.output_use[mt.name]}"), but value "{vn}" is not defined in all the subgraphs defining "{mt.name}": "{vn}" is defined in {_graphs(graphs)} but not in {_graphs(missing)}. Define the value in every subgraph.',
                    graphs + missing,
                    mt.name,
                    vn,
                )
                continue
            if missing and as_input:
                continue
            decls = [mt.sources[g].values[vn] for g in graphs]
            mt.values[vn] = MergedEnumValue(
                vn,
                graphs,
                description=_description(v.description for v in decls),
                deprecated=next((v.deprecated for v in decls if v.deprecated), None),
                inaccessible=any(v.inaccessible for v in decls),
                tags=_tags(v.tags for v in decls),
                applied=_applied((v.applied for v in decls), self.composed),
            )
        if not mt.values:
            self.err(
                "EMPTY_MERGED_ENUM_TYPE",
                f'None of the values of enum type "{mt.name}" are defined consistently in all the subgraphs defining that type; as it is only used as an input type, its values merge by intersection, so define at least one value in all of them.',
                list(mt.sources),
                mt.name,
            )

    def add_interface_object_fields(self) -> None:
        """Fields an ``@interfaceObject`` adds to an interface reach every implementation (join v0.3)."""
        for it in self.types.values():
            if it.kind is not TypeKind.INTERFACE or not any(t.interface_object for t in it.sources.values()):
                continue
            for impl in self.types.values():
                if impl.kind is not TypeKind.OBJECT or it.name not in impl.implements:
                    continue
                for fn, mf in it.fields.items():
                    if fn not in impl.fields:
                        copy = MergedField(fn, mf.type, args=mf.args, description=mf.description)
                        copy.deprecated, copy.inaccessible, copy.tags = (
                            mf.deprecated,
                            mf.inaccessible,
                            mf.tags,
                        )
                        copy.via_interface_object = True
                        impl.fields[fn] = copy

    # -- federation checks on the merged model ---------------------------------------------------------------

    def check(self) -> None:
        fed2 = {s.name: s.fed2 for s in self.subgraphs}
        uses_labels = False
        for mt in self.types.values():
            if mt.kind not in (TypeKind.OBJECT, TypeKind.INTERFACE):
                continue
            for mf in mt.fields.values():
                if mf.via_interface_object:
                    continue
                uses_labels |= self.check_override(mt, mf)
                self.check_external(mt, mf, fed2)
                if mt.kind is TypeKind.OBJECT:
                    self.check_sharing(mt, mf)
        self.uses_labels = uses_labels
        self.check_interface_objects()

    def check_override(self, mt: MergedType, mf: MergedField) -> bool:
        labelled = False
        for g, f in mf.sources.items():
            if f.override is None:
                continue
            source = f.override
            if mt.kind is TypeKind.INTERFACE:
                self.err(
                    "OVERRIDE_ON_INTERFACE",
                    f'@override cannot be used on field "{mt.name}.{mf.name}" on subgraph "{g}" since "{mt.name}" is an interface; move @override to the implementations.',
                    [g],
                    mt.name,
                    mf.name,
                )
                continue
            if source == g:
                self.err(
                    "OVERRIDE_FROM_SELF_ERROR",
                    f'Source and destination subgraphs "{g}" are the same for overridden field "{mt.name}.{mf.name}"; name the subgraph the field is taken from.',
                    [g],
                    mt.name,
                    mf.name,
                )
                continue
            if f.external:
                self.err(
                    "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
                    f'@override cannot be used on field "{mt.name}.{mf.name}" on subgraph "{g}" since "{mt.name}.{mf.name}" on "{g}" is marked with directive "@external"; remove one of them.',
                    [g],
                    mt.name,
                    mf.name,
                )
                continue
            if f.override_label is not None:
                if not _LABEL.match(f.override_label):
                    self.err(
                        "OVERRIDE_LABEL_INVALID",
                        f'Invalid @override label "{f.override_label}" on field "{mt.name}.{mf.name}" on subgraph "{g}": labels must start with a letter and contain only letters, digits and _-:. characters, or be "percent(<0-100>)".',
                        [g],
                        mt.name,
                        mf.name,
                    )
                    continue
                labelled = True
            other = mf.sources.get(source)
            if other is None:
                continue  # overriding a subgraph that does not declare the field is harmless (a hint in Apollo)
            if other.override is not None:
                self.err(
                    "OVERRIDE_SOURCE_HAS_OVERRIDE",
                    f'Field "{mt.name}.{mf.name}" on subgraph "{g}" is also marked with directive @override in subgraph "{source}". Only one @override directive is allowed per field.',
                    [g, source],
                    mt.name,
                    mf.name,
                )
                continue
            if other.external:
                continue
            if f.override_label is None:
                mf.overridden[source] = "used" if self.usage[source].uses(mt.name, mf.name) else "dropped"
            else:
                mf.progressive[source] = f.override_label
        return labelled

    def check_external(self, mt: MergedType, mf: MergedField, fed2: dict[str, bool]) -> None:
        externals = [g for g, f in mf.sources.items() if f.external]
        if not externals:
            return
        used = []
        for g in externals:
            if (
                not fed2[g]
                or self.usage[g].uses(mt.name, mf.name)
                or self.satisfies_interface(g, mt, mf.name)
            ):
                used.append(g)
                continue
            self.err(
                "EXTERNAL_UNUSED",
                f'[{g}] Field "{mt.name}.{mf.name}" is marked @external but is not used in any federation directive (@key, @provides, @requires) or to satisfy an interface; the field declaration has no use and should be removed (or the field should not be @external).',
                [g],
                mt.name,
                mf.name,
            )
        if used and mt.kind is TypeKind.OBJECT and not any(not f.external for f in mf.sources.values()):
            self.err(
                "EXTERNAL_MISSING_ON_BASE",
                f'Field "{mt.name}.{mf.name}" is marked @external on all the subgraphs in which it is listed ({_graphs(externals)}); at least one subgraph must resolve it: remove @external where the field is defined, or add the field to the subgraph that owns "{mt.name}".',
                externals,
                mt.name,
                mf.name,
            )

    def satisfies_interface(self, graph: str, mt: MergedType, field_name: str) -> bool:
        t = mt.sources.get(graph)
        sub = self.subgraph(graph)
        for i in t.interfaces if t else ():
            it = sub.types.get(i)
            if it is not None and field_name in it.fields:
                return True
        return False

    def subgraph(self, name: str) -> SubgraphSchema:
        return next(s for s in self.subgraphs if s.name == name)

    def check_sharing(self, mt: MergedType, mf: MergedField) -> None:
        # An @external field that a @provides names is resolved on that path (and shareable there), so it
        # counts as resolving: its owner must share it (composition-js ``validateFieldSharing``).
        provided = {
            g
            for g, f in mf.sources.items()
            if f.external and (mt.name, mf.name) in self.usage[g].provides and g not in mf.overridden
        }
        resolving = [g for g in mf.sources if g in provided or g in mf.resolving()]
        if len(resolving) < 2:
            return
        labelled = {g for g, f in mf.sources.items() if f.override_label is not None}
        if labelled and len(resolving) == 2:
            return  # a progressive override is the one legitimate double resolution
        non_shareable = [
            g
            for g in resolving
            if g not in provided
            and not mf.sources[g].shareable
            and (mt.name, mf.name) not in self.usage[g].key
        ]
        if not non_shareable:
            return
        described = " and ".join(f'"{g}"' for g in resolving)
        where = "all of them" if len(non_shareable) == len(resolving) else _graphs(non_shareable)
        self.err(
            "INVALID_FIELD_SHARING",
            f'Non-shareable field "{mt.name}.{mf.name}" is resolved from multiple subgraphs: it is resolved from subgraphs {described} and defined as non-shareable in {where}. Mark it @shareable in every subgraph that resolves it, or remove it from all but one (or move it with @override).',
            resolving,
            mt.name,
            mf.name,
        )

    def check_interface_objects(self) -> None:
        for mt in self.types.values():
            objects = [g for g, t in mt.sources.items() if t.interface_object]
            if not objects:
                continue
            real = [g for g, t in mt.sources.items() if t.kind is TypeKind.INTERFACE and t.keys]
            if not real:
                self.err(
                    "INTERFACE_OBJECT_USAGE_ERROR",
                    f'Type "{mt.name}" is declared with @interfaceObject in {_graphs(objects)} but is not an interface with a @key in any subgraph: define "interface {mt.name} @key(...)" with its implementations in one subgraph.',
                    objects,
                    mt.name,
                )
            for g in objects:
                if not mt.sources[g].keys:
                    self.err(
                        "INTERFACE_OBJECT_USAGE_ERROR",
                        f'[{g}] Type "{mt.name}" is declared with @interfaceObject but has no @key; an interface object must be an entity.',
                        [g],
                        mt.name,
                    )
        for s in self.subgraphs:
            for it in s.types.values():
                if it.kind is not TypeKind.INTERFACE or not it.keys:
                    continue
                for impl in s.types.values():
                    if it.name not in impl.interfaces:
                        continue
                    impl_keys = {k.fields.split() and " ".join(k.fields.split()) for k in impl.keys}
                    for k in it.keys:
                        if " ".join(k.fields.split()) not in impl_keys:
                            self.err(
                                "INTERFACE_KEY_NOT_ON_IMPLEMENTATION",
                                f'[{s.name}] Key @key(fields: "{k.fields}") on interface type "{it.name}" is missing on implementation type "{impl.name}": add @key(fields: "{k.fields}") to "{impl.name}".',
                                [s.name],
                                impl.name,
                            )


def _graphs(graphs: Sequence[str]) -> str:
    quoted = [f'"{g}"' for g in graphs]
    if len(quoted) == 1:
        return "subgraph " + quoted[0]
    return "subgraphs " + ", ".join(quoted[:-1]) + " and " + quoted[-1]


def merge_subgraphs(
    subgraphs: list[SubgraphSchema], usage: dict[str, FieldSetUsage]
) -> tuple[MergedSupergraph, list[CompositionError]]:
    """Merge ``subgraphs`` (already validated one by one) and check the cross-subgraph rules."""
    merger = _Merger(subgraphs, usage)
    merger.run()
    merger.check()
    merged = MergedSupergraph(
        subgraphs,
        merger.types,
        graph_enum_names([s.name for s in subgraphs]),
        usage,
        uses_override_labels=merger.uses_labels,
    )
    return merged, merger.errors


def _input_cost(value: SubgraphArgument | SubgraphField) -> int | None:
    """``@cost`` on an argument or an input field definition."""
    return value.cost if isinstance(value, SubgraphArgument) else value.demands.cost
