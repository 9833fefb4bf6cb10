"""Response shaping: the merged subgraph data cut to exactly the client's selection, with null propagation.

The client operation is compiled once per plan (and per set of ``@skip``/``@include`` variable values) into
per-type field lists (GraphQL spec 6.3.2 "Field Collection"), so shaping a response is plain dict walking:
aliases and fragments are already resolved, ``__typename`` is answered from the static type (object types) or
the data (abstract types), fields added by the plan are never copied, and a null in a non-null position
propagates to the nearest nullable parent (GraphQL spec 6.4.4 "Handling Field Errors").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_operation_ast,
    value_from_ast_untyped,
)

__all__ = ["CompiledOperation", "OperationShape", "ResponseShaper", "compile_operation"]

# Field kinds.
_LEAF = 0
_COMPOSITE = 1
_TYPENAME = 2
_VERBATIM = 3  # introspection root fields, answered already shaped by graphql-core
_PLAIN_LEAF = 4  # a scalar (not enum) that is not a list: copied as is when not null
# Type wrappers, outermost first.
_NON_NULL = 1
_LIST = 2

_INTROSPECTION_ROOT_FIELDS = frozenset({"__schema", "__type"})


class _Field:
    __slots__ = (
        "aliases",
        "child",
        "enum_values",
        "item_non_null",
        "key",
        "kind",
        "name",
        "nodes",
        "non_null",
        "object_items",
        "parent_type",
        "single_object",
        "wrappers",
    )

    def __init__(
        self,
        key: str,
        name: str,
        kind: int,
        wrappers: tuple[int, ...],
        parent_type: str,
        nodes: list[FieldNode],
        child: SelectionShape | None = None,
        enum_values: frozenset[str] | None = None,
    ) -> None:
        self.key = key
        self.name = name
        self.kind = kind
        self.wrappers = wrappers
        self.parent_type = parent_type
        self.nodes = nodes
        self.child = child
        self.enum_values = enum_values
        # Keys the plan may have stored this field under instead (``QueryPlan.response_aliases``).
        self.aliases: tuple[str, ...] = ()
        self.non_null = wrappers[:1] == (_NON_NULL,)
        if kind == _LEAF and enum_values is None and wrappers in ((), (_NON_NULL,)):
            self.kind = _PLAIN_LEAF
        # [T] / [T!] (possibly non-null) of an object type: list items shaped without the generic recursion.
        inner = wrappers[1:] if self.non_null else wrappers
        self.object_items = kind == _COMPOSITE and inner in ((_LIST,), (_LIST, _NON_NULL))
        self.item_non_null = inner == (_LIST, _NON_NULL)
        self.single_object = kind == _COMPOSITE and inner == ()


class SelectionShape:
    """The merged selection sets of one composite position; field lists computed per runtime type, cached."""

    __slots__ = ("_by_type", "_compiler", "parent", "path", "selection_sets", "static_typename")

    def __init__(
        self,
        compiler: _Compiler,
        parent: Any,
        selection_sets: list[SelectionSetNode],
        path: tuple[str, ...] = (),
    ) -> None:
        self._compiler = compiler
        self.parent = parent
        self.selection_sets = selection_sets
        self.path = path  # response keys from the root
        self.static_typename: str | None = parent.name if isinstance(parent, GraphQLObjectType) else None
        self._by_type: dict[Any, list[_Field] | None] = {}

    def fields_for(self, typename: Any) -> list[_Field] | None:
        """The fields to copy for an object whose runtime type is ``typename`` (None: not a possible type)."""
        try:
            return self._by_type[typename]
        except KeyError:
            pass
        fields = self._compiler.fields_for(self, typename)
        self._by_type[typename] = fields
        return fields


class OperationShape:
    """The client operation compiled for one assignment of its ``@skip``/``@include`` variables."""

    __slots__ = ("introspection", "root")

    def __init__(self, root: SelectionShape, introspection: DocumentNode | None) -> None:
        self.root = root
        # An operation with only the root __schema/__type fields, for graphql-core to answer.
        self.introspection = introspection


class CompiledOperation:
    """One client operation (document + operation name) prepared for shaping many responses."""

    __slots__ = (
        "_shapes",
        "aliases",
        "condition_variables",
        "defaults",
        "dropped",
        "fragments",
        "operation",
        "root_type",
        "schema",
    )

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation_name: str | None,
        aliases: Mapping[str, tuple[str, ...]] | None = None,
        dropped: frozenset[tuple[tuple[str, ...], str]] = frozenset(),
    ) -> None:
        self.schema = schema
        # Response key -> the aliases fetches used for it where the subgraph's type differs (planning.plan).
        self.aliases: Mapping[str, tuple[str, ...]] = aliases or {}
        # (response path, type condition): fragments the plan has contribute nothing (planning.plan).
        self.dropped = dropped
        # GraphQL spec 6.1 GetOperation; the server has already refused documents without such an operation.
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            raise ValueError(f"no operation {operation_name!r} to run in the document")
        self.operation = operation
        self.fragments: dict[str, FragmentDefinitionNode] = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        root = {
            OperationType.QUERY: schema.query_type,
            OperationType.MUTATION: schema.mutation_type,
            OperationType.SUBSCRIPTION: schema.subscription_type,
        }[operation.operation]
        if root is None:
            raise ValueError(f"The schema has no {operation.operation.value} root type")
        self.root_type: GraphQLObjectType = root
        self.defaults: dict[str, Any] = {
            v.variable.name.value: value_from_ast_untyped(v.default_value)
            for v in operation.variable_definitions or ()
            if v.default_value is not None
        }
        self.condition_variables: tuple[str, ...] = tuple(sorted(_condition_variables(document)))
        self._shapes: dict[tuple[bool, ...], OperationShape] = {}

    def variable_true(self, name: str, variables: Mapping[str, Any]) -> bool:
        """The boolean value of a variable, its default applying when the request omits it."""
        return bool(variables.get(name, self.defaults.get(name, False)))

    def shape(self, variables: Mapping[str, Any]) -> OperationShape:
        """The shape for these variables' ``@skip``/``@include`` values."""
        key = tuple(self.variable_true(n, variables) for n in self.condition_variables)
        shape = self._shapes.get(key)
        if shape is None:
            compiler = _Compiler(self, dict(zip(self.condition_variables, key, strict=True)))
            root = SelectionShape(compiler, self.root_type, [self.operation.selection_set])
            shape = OperationShape(root, compiler.introspection_document(root))
            self._shapes[key] = shape
        return shape


def compile_operation(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    aliases: Mapping[str, tuple[str, ...]] | None = None,
    dropped: frozenset[tuple[tuple[str, ...], str]] = frozenset(),
) -> CompiledOperation:
    """Prepare ``document``'s operation for shaping responses against ``schema`` (the API schema)."""
    return CompiledOperation(schema, document, operation_name, aliases, dropped)


def _condition_variables(document: DocumentNode) -> set[str]:
    names: set[str] = set()
    pending = [
        d.selection_set
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode | FragmentDefinitionNode)
    ]
    while pending:  # a loop, not a closure calling itself (a reference cycle left to the collector)
        selection_set = pending.pop()
        for sel in selection_set.selections:
            for d in sel.directives or ():
                if d.name.value in ("skip", "include"):
                    for arg in d.arguments or ():
                        if isinstance(arg.value, VariableNode):
                            names.add(arg.value.name.value)
            if isinstance(sel, FieldNode | InlineFragmentNode) and sel.selection_set is not None:
                pending.append(sel.selection_set)
    return names


class _Compiler:
    """Field collection (GraphQL spec 6.3.2) with known ``@skip``/``@include`` values.

    Takes what it needs of the ``CompiledOperation`` rather than the operation itself: the operation keeps its
    shapes and each shape its compiler, so a reference back would make every compiled plan a reference cycle,
    which cached (frozen, ``gateway.server.runtime``) plans must not be: evicted, it would never be freed."""

    __slots__ = ("aliases", "conditions", "dropped", "fragments", "operation", "root_type", "schema")

    def __init__(self, op: CompiledOperation, conditions: dict[str, bool]) -> None:
        self.schema = op.schema
        self.aliases = op.aliases
        self.dropped = op.dropped
        self.fragments = op.fragments
        self.operation = op.operation
        self.root_type = op.root_type
        self.conditions = conditions

    def _included(self, directives: Iterable[DirectiveNode] | None) -> bool:
        for d in directives or ():
            name = d.name.value
            if name not in ("skip", "include"):
                continue
            value = True
            for arg in d.arguments or ():
                if arg.name.value == "if":
                    if isinstance(arg.value, VariableNode):
                        value = self.conditions.get(arg.value.name.value, False)
                    elif isinstance(arg.value, BooleanValueNode):
                        value = arg.value.value
            if (name == "skip") == value:
                return False
        return True

    def _applies(self, type_condition: str | None, runtime: GraphQLObjectType | GraphQLInterfaceType) -> bool:
        if type_condition is None or type_condition == runtime.name:
            return True
        cond = self.schema.get_type(type_condition)
        if isinstance(cond, GraphQLInterfaceType | GraphQLUnionType):
            return self.schema.is_sub_type(cond, runtime)
        return False

    def _collect(
        self,
        runtime: GraphQLObjectType | GraphQLInterfaceType,
        selection_set: SelectionSetNode,
        out: dict[str, list[FieldNode]],
        visited: set[str],
        path: tuple[str, ...] = (),
    ) -> None:
        dropped = self.dropped
        for sel in selection_set.selections:
            if not self._included(sel.directives):
                continue
            if isinstance(sel, FieldNode):
                key = sel.alias.value if sel.alias else sel.name.value
                out.setdefault(key, []).append(sel)
            elif isinstance(sel, InlineFragmentNode):
                cond = sel.type_condition.name.value if sel.type_condition else None
                if dropped and cond is not None and (path, cond) in dropped:
                    continue
                if self._applies(cond, runtime):
                    self._collect(runtime, sel.selection_set, out, visited, path)
            elif isinstance(sel, FragmentSpreadNode):
                name = sel.name.value
                if name in visited:
                    continue
                visited.add(name)
                fragment = self.fragments.get(name)
                if fragment is None:
                    continue
                cond = fragment.type_condition.name.value
                if dropped and (path, cond) in dropped:
                    continue
                if self._applies(cond, runtime):
                    self._collect(runtime, fragment.selection_set, out, visited, path)

    def fields_for(self, shape: SelectionShape, typename: Any) -> list[_Field] | None:
        parent = shape.parent
        if shape.static_typename is not None:
            runtime: Any = parent
        elif isinstance(parent, GraphQLInterfaceType) and (typename is None or typename == parent.name):
            # An object from a subgraph that sees the interface as an @interfaceObject (Federation 2.3): it has
            # no object type. The planner fetched the real ``__typename`` wherever the operation needs it, so
            # only selections on the interface itself apply here.
            runtime = parent
        else:
            runtime = self.schema.get_type(typename) if isinstance(typename, str) else None
            if not isinstance(runtime, GraphQLObjectType) or not self.schema.is_sub_type(parent, runtime):
                return None
        collected: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()
        for selection_set in shape.selection_sets:
            self._collect(runtime, selection_set, collected, visited, shape.path)
        is_root = runtime is self.root_type and shape.selection_sets[0] is self.operation.selection_set
        fields: list[_Field] = []
        aliases = self.aliases
        for key, nodes in collected.items():
            name = nodes[0].name.value
            if name == "__typename":
                fields.append(_Field(key, name, _TYPENAME, (), runtime.name, nodes))
                continue
            if is_root and name in _INTROSPECTION_ROOT_FIELDS:
                fields.append(_Field(key, name, _VERBATIM, (), runtime.name, nodes))
                continue
            field_def = runtime.fields.get(name)
            if field_def is None:
                continue  # not in the API schema: validation rejects it before planning
            wrappers: list[int] = []
            t: Any = field_def.type
            while isinstance(t, GraphQLNonNull | GraphQLList):
                wrappers.append(_NON_NULL if isinstance(t, GraphQLNonNull) else _LIST)
                t = t.of_type
            if isinstance(t, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
                sets = [n.selection_set for n in nodes if n.selection_set is not None]
                child = SelectionShape(self, t, sets, (*shape.path, key))
                fields.append(_Field(key, name, _COMPOSITE, tuple(wrappers), runtime.name, nodes, child))
            else:
                enum_values = frozenset(t.values) if isinstance(t, GraphQLEnumType) else None
                fields.append(
                    _Field(key, name, _LEAF, tuple(wrappers), runtime.name, nodes, None, enum_values)
                )
            if key in aliases:
                fields[-1].aliases = aliases[key]
        return fields

    def introspection_document(self, root: SelectionShape) -> DocumentNode | None:
        fields = root.fields_for(self.root_type.name) or []
        nodes = [n for f in fields if f.kind == _VERBATIM for n in f.nodes]
        if not nodes:
            return None
        operation = OperationDefinitionNode(
            operation=OperationType.QUERY,
            name=self.operation.name,
            variable_definitions=self.operation.variable_definitions or (),
            directives=(),
            selection_set=SelectionSetNode(selections=tuple(nodes)),
        )
        return DocumentNode(definitions=(operation, *self.fragments.values()))


# Returned by a non-null position holding null: the enclosing list item or field makes its parent null.
_BUBBLE: Any = object()

# A response path as a linked list (parent, key): built for every value, turned into a list only for errors.
_PathLink = tuple[Any, str | int] | None


def _path_list(link: _PathLink) -> list[str | int]:
    out: list[str | int] = []
    while link is not None:
        link, key = link
        out.append(key)
    out.reverse()
    return out


class FailureMark:
    """Why the fields a failed fetch should have provided on an object are missing (an error to report).

    ``error`` None: the null is explained by an error already in the list (GraphQL spec 6.4.4), so none is added.
    """

    __slots__ = ("error",)

    def __init__(self, error: dict[str, Any] | None) -> None:
        self.error = error


class ResponseShaper:
    """Shapes one response; collects the errors it adds (null in non-null fields, failed fetches).

    Once a null bubbles out of an object or list, the rest of it is still walked, adding no null errors of its
    own but the errors of fetches that failed there: every field error raised belongs in the response, whichever
    sibling nulled the parent first (GraphQL spec 6.4.4, 7.1.2).
    """

    __slots__ = ("_covered", "_error_paths", "_quiet", "errors", "marks")

    def __init__(
        self,
        errors: list[dict[str, Any]],
        marks: Mapping[int, tuple[dict[str, Any], dict[str, FailureMark]]],
    ) -> None:
        self.errors = errors
        self.marks = marks
        self._error_paths: set[tuple[str | int, ...]] = set()
        self._covered: set[tuple[str | int, ...]] = set()  # every prefix of every error path
        self._quiet = 0  # > 0 while walking what a bubbled null discards: only failed fetches' errors count
        for error in errors:
            path = error.get("path")
            if path:
                self._cover(path)

    def _cover(self, path: Sequence[str | int]) -> None:
        self._error_paths.add(tuple(path))
        for i in range(1, len(path) + 1):
            self._covered.add(tuple(path[:i]))

    def _add_error(self, error: dict[str, Any], path: list[str | int]) -> None:
        """Add ``error`` unless an error at this path, below it or above it already explains the null."""
        key = tuple(path)
        if key in self._covered or any(key[:i] in self._error_paths for i in range(1, len(key))):
            return
        self.errors.append(error)
        self._cover(path)

    def shape(self, shape: SelectionShape, data: dict[str, Any]) -> dict[str, Any] | None:
        """The client's ``data`` for ``data`` merged from the subgraphs (None when null reaches the root)."""
        result = self._object(shape, data, None)
        return result if type(result) is dict else None

    def _object(self, shape: SelectionShape, src: dict[str, Any], path: _PathLink) -> Any:
        typename = shape.static_typename or src.get("__typename")
        fields = shape.fields_for(typename)
        if fields is None:
            return None
        out: dict[str, Any] = {}
        marked = self.marks.get(id(src)) if self.marks else None
        bubbled = False
        for f in fields:
            key = f.key
            kind = f.kind
            if kind == _TYPENAME:
                out[key] = typename
                continue
            value = src.get(key)
            if value is None and f.aliases:
                value = next((src[a] for a in f.aliases if src.get(a) is not None), None)
            if (kind == _PLAIN_LEAF and value is not None) or kind == _VERBATIM:
                out[key] = value
                continue
            link = (path, key)
            if value is None:
                if marked is not None:
                    mark = next((m for k in (key, *f.aliases) if (m := marked[1].get(k)) is not None), None)
                    if mark is not None:
                        error_path = _path_list(link)
                        if mark.error is None:
                            self._cover(error_path)
                        else:
                            self._add_error({**mark.error, "path": error_path}, error_path)
            elif f.single_object and type(value) is dict:
                assert f.child is not None
                result = self._object(f.child, value, link)
                if result is None and f.non_null:
                    bubbled = self._bubble(f, link, bubbled)
                out[key] = result
                continue
            elif f.object_items and type(value) is list:
                result = self._object_list(f, value, link)
                if result is None and f.non_null:
                    bubbled = self._bubble(f, link, bubbled)
                out[key] = result
                continue
            result = self._value(f, 0, value, link)
            if result is _BUBBLE and not bubbled:
                bubbled = True
                self._quiet += 1
            out[key] = result
        if bubbled:
            self._quiet -= 1
            return None
        return out

    def _bubble(self, f: _Field, link: _PathLink, bubbled: bool) -> bool:
        """A non-null ``f`` is null: report it unless a null bubbles here already, and walk on quietly."""
        if not bubbled:
            self._null_error(f, link)
            self._quiet += 1
        return True

    def _object_list(self, f: _Field, value: list[Any], link: _PathLink) -> list[Any] | None:
        child = f.child
        assert child is not None
        items: list[Any] = []
        bubbled = False
        for i, item in enumerate(value):
            item_link = (link, i)
            if type(item) is dict:
                result = self._object(child, item, item_link)
            elif item is None:
                result = None
            else:
                result = self._invalid(f, item_link, "an object")
            if result is None and f.item_non_null:
                bubbled = self._bubble(f, item_link, bubbled)
            items.append(result)
        if bubbled:
            self._quiet -= 1
            return None
        return items

    def _null_error(self, f: _Field, link: _PathLink) -> None:
        if self._quiet:
            return
        path = _path_list(link)
        message = f"Cannot return null for non-nullable field {f.parent_type}.{f.name}."
        self._add_error({"message": message, "path": path}, path)

    def _value(self, f: _Field, depth: int, value: Any, link: _PathLink) -> Any:
        wrappers = f.wrappers
        wrapper = wrappers[depth] if depth < len(wrappers) else 0
        if wrapper == _NON_NULL:
            result = self._value(f, depth + 1, value, link)
            if result is None:
                self._null_error(f, link)
                return _BUBBLE
            return result
        if value is None:
            return None
        if wrapper == _LIST:
            if type(value) is not list:
                return self._invalid(f, link, "a list")
            items = []
            bubbled = False
            for i, item in enumerate(value):
                result = self._value(f, depth + 1, item, (link, i))
                if result is _BUBBLE and not bubbled:
                    bubbled = True
                    self._quiet += 1
                items.append(result)
            if bubbled:
                self._quiet -= 1
                return None
            return items
        if f.kind == _LEAF or f.kind == _PLAIN_LEAF:
            if f.enum_values is not None and (type(value) is not str or value not in f.enum_values):
                return self._invalid(f, link, "a value of its enum type")
            return value
        if type(value) is not dict:
            return self._invalid(f, link, "an object")
        assert f.child is not None
        return self._object(f.child, value, link)

    def _invalid(self, f: _Field, link: _PathLink, expected: str) -> Any:
        if self._quiet:
            return None
        path = _path_list(link)
        message = f"Subgraph data for field {f.parent_type}.{f.name} is not {expected}."
        self._add_error(
            {"message": message, "path": path, "extensions": {"code": "INVALID_SUBGRAPH_DATA"}}, path
        )
        return None
