"""Demand control: the static cost of an operation (IBM GraphQL cost spec, https://ibm.github.io/graphql-specs/cost-spec.html,
with the ``@cost``/``@listSize`` directives of https://specs.apollo.dev/cost/v0.1), estimated before planning.

The rules are Apollo Router's ``static_estimated`` strategy, applied to the client's operation:

- a field of an object, interface or union type costs 1, a scalar or enum field 0, ``__typename`` and
  introspection fields 0; ``@cost(weight:)`` on the field, else on its return type, replaces that weight;
- a field's cost is ``instances * (weight + cost of its selections) + cost of its arguments``; ``instances`` is
  1 for a non-list field, and for a list the size a parent's ``@listSize(sizedFields:)`` gives it, else the
  largest slicing argument of its ``@listSize`` (a literal, a variable or the argument's default), else its
  ``assumedSize``, else the configured default list size (Apollo's ``static_estimated.list_size``);
- ``@listSize(requireOneSlicingArgument: true)`` (the default) with slicing arguments wants exactly one of them;
- an argument costs its ``@cost`` weight (an input object 1 plus its fields, a list the sum of its items);
- a mutation costs 10 more; fragments are counted where they are spread; fields that ``@skip``/``@include``
  leave out cost nothing.

Above ``max`` the operation is refused before planning with ``COST_ESTIMATED_TOO_EXPENSIVE`` (``mode:
enforce``) or only measured (``mode: measure``). The estimate is returned in ``extensions.cost`` when the
client sends ``X-Cost-Estimate: true`` or the gateway is configured to always include it (Hive Gateway's
``includeExtensionMetadata``).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLArgument,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Undefined,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_composite_type,
    is_input_object_type,
    value_from_ast_untyped,
)

from gateway.composition.supergraph import ListSize, Supergraph

__all__ = [
    "COST_ESTIMATED_TOO_EXPENSIVE",
    "COST_QUERY_PARSE_FAILURE",
    "CostEstimator",
    "CostRefusal",
    "DemandControl",
]

COST_ESTIMATED_TOO_EXPENSIVE = "COST_ESTIMATED_TOO_EXPENSIVE"
COST_QUERY_PARSE_FAILURE = "COST_QUERY_PARSE_FAILURE"

_MUTATION_COST = 10
# Estimates kept per operation, one per set of values of the variables the cost depends on.
_ESTIMATES_PER_OPERATION = 64


@dataclass(frozen=True)
class DemandControl:
    """gateway.yaml's ``demand_control`` section: ``max`` (None: no maximum), the default ``list_size`` of a list
    field without ``@listSize``, ``mode`` (``enforce`` refuses above ``max``, ``measure`` only estimates) and
    whether every response carries ``extensions.cost`` (otherwise only when the client asks with ``header``)."""

    max: int | None = None
    list_size: int = 10
    mode: Literal["enforce", "measure"] = "enforce"
    include_in_extensions: bool = False
    header: str = "x-cost-estimate"

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return ("max", "list_size", "mode", "include_in_extensions")


@dataclass(frozen=True)
class CostRefusal:
    """Why an operation is not run: too expensive, or a ``@listSize`` rule it breaks."""

    code: str
    message: str
    estimated: int | None = None
    maximum: int | None = None

    def to_error(self) -> dict[str, Any]:
        extensions: dict[str, Any] = {"code": self.code}
        if self.estimated is not None:
            extensions["cost"] = {"estimated": self.estimated, "max": self.maximum}
        return {"message": self.message, "extensions": extensions}


class _Unscorable(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CostEstimator:
    """Static cost of operations against one supergraph; estimates are kept per operation (weakly, so they go
    with the plan cache entry) and per value of the variables the cost depends on."""

    def __init__(self, supergraph: Supergraph, settings: DemandControl) -> None:
        self.supergraph = supergraph
        self.settings = settings
        self._schema: GraphQLSchema = supergraph.api_schema
        self._argument_costs: dict[tuple[str, str, str], int | None] = {}
        self._input_field_costs: dict[tuple[str, str], int | None] = {}
        self._estimates: weakref.WeakKeyDictionary[OperationDefinitionNode, dict[Any, int | CostRefusal]] = (
            weakref.WeakKeyDictionary()
        )

    def estimate(
        self, document: DocumentNode, operation: OperationDefinitionNode, variables: Mapping[str, Any]
    ) -> int | CostRefusal:
        """The operation's estimated cost, or a refusal when a ``@listSize`` rule cannot be met."""
        key = _variables_key(variables)
        known = self._estimates.get(operation)
        if known is not None and key in known:
            return known[key]
        try:
            result: int | CostRefusal = _Scoring(self, document, variables).operation(operation)
        except _Unscorable as exc:
            result = CostRefusal(COST_QUERY_PARSE_FAILURE, exc.message)
        except RecursionError:
            result = CostRefusal(COST_QUERY_PARSE_FAILURE, "The operation is nested too deeply to estimate.")
        if known is None:
            known = self._estimates.setdefault(operation, {})
        if len(known) >= _ESTIMATES_PER_OPERATION:
            known.pop(next(iter(known)))
        known[key] = result
        return result

    def check(
        self, document: DocumentNode, operation: OperationDefinitionNode, variables: Mapping[str, Any]
    ) -> tuple[int | None, CostRefusal | None]:
        """(estimate, refusal): the refusal is set when the operation must not run."""
        cost = self.estimate(document, operation, variables)
        if isinstance(cost, CostRefusal):
            return None, cost
        maximum = self.settings.max
        if maximum is not None and cost > maximum and self.settings.mode == "enforce":
            message = f"The operation's estimated cost {cost} exceeds the maximum cost {maximum}."
            return cost, CostRefusal(COST_ESTIMATED_TOO_EXPENSIVE, message, cost, maximum)
        return cost, None

    def argument_cost(self, type_name: str, field_name: str, argument: str) -> int | None:
        """``@cost`` on an argument definition, read from the supergraph schema's SDL nodes."""
        key = (type_name, field_name, argument)
        if key not in self._argument_costs:
            weight = None
            parent = self.supergraph.schema.get_type(type_name)
            defined = getattr(parent, "fields", {}).get(field_name)
            arg = defined.args.get(argument) if defined is not None else None
            if arg is not None:
                weight = _cost_directive(arg)
            self._argument_costs[key] = weight
        return self._argument_costs[key]

    def input_field_cost(self, type_name: str, field_name: str) -> int | None:
        """``@cost`` on an input field definition, read from the supergraph schema's SDL nodes (the API schema
        has no cost directives)."""
        key = (type_name, field_name)
        if key not in self._input_field_costs:
            parent = self.supergraph.schema.get_type(type_name)
            defined = getattr(parent, "fields", {}).get(field_name)
            self._input_field_costs[key] = _cost_directive(defined) if defined is not None else None
        return self._input_field_costs[key]


def _variables_key(variables: Mapping[str, Any]) -> Any:
    # Every variable may matter (slicing arguments, @skip, costed arguments); hashable form, bounded per entry.
    try:
        return tuple(sorted((k, _frozen(v)) for k, v in variables.items()))
    except TypeError:
        return repr(sorted(variables.items()))


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


def _cost_directive(element: GraphQLArgument | GraphQLInputField) -> int | None:
    node = element.ast_node
    for directive in getattr(node, "directives", None) or ():
        if directive.name.value == "cost":
            for arg in directive.arguments or ():
                if arg.name.value == "weight" and isinstance(arg.value, IntValueNode):
                    return int(arg.value.value)
    return None


class _Scoring:
    """One estimate: the operation's document and the request's (coerced) variables."""

    def __init__(
        self, estimator: CostEstimator, document: DocumentNode, variables: Mapping[str, Any]
    ) -> None:
        self.estimator = estimator
        self.model = estimator.supergraph
        self.schema = estimator._schema
        self.variables = variables
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        # A fragment's cost depends only on the sized fields its parent hands down: memoised, so a document of
        # fragments spreading fragments costs linear time.
        self._fragment_costs: dict[tuple[str, tuple[str, ...], int | None], int] = {}

    def operation(self, operation: OperationDefinitionNode) -> int:
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            raise _Unscorable(f"The schema has no {operation.operation.value} root type.")
        cost = _MUTATION_COST if operation.operation is OperationType.MUTATION else 0
        return cost + self.selection_set(operation.selection_set, root, (), None)

    def selection_set(
        self,
        selections: SelectionSetNode | None,
        parent: GraphQLNamedType,
        sized_fields: tuple[str, ...],
        size: int | None,
    ) -> int:
        if selections is None:
            return 0
        cost = 0
        for selection in selections.selections:
            if self._skipped(selection):
                continue
            if isinstance(selection, FieldNode):
                upstream = size if selection.name.value in sized_fields else None
                cost += self.field(selection, parent, upstream)
            elif isinstance(selection, InlineFragmentNode):
                condition = parent
                if selection.type_condition is not None:
                    condition = self.schema.get_type(selection.type_condition.name.value) or parent
                cost += self.selection_set(selection.selection_set, condition, sized_fields, size)
            elif isinstance(selection, FragmentSpreadNode):
                cost += self._spread(selection.name.value, sized_fields, size)
        return cost

    def _spread(self, name: str, sized_fields: tuple[str, ...], size: int | None) -> int:
        key = (name, sized_fields, size)
        if key not in self._fragment_costs:
            fragment = self.fragments.get(name)
            if fragment is None:
                raise _Unscorable(f"Unknown fragment '{name}'.")
            condition = self.schema.get_type(fragment.type_condition.name.value)
            if condition is None:
                raise _Unscorable(f"Unknown type '{fragment.type_condition.name.value}'.")
            self._fragment_costs[key] = self.selection_set(
                fragment.selection_set, condition, sized_fields, size
            )
        return self._fragment_costs[key]

    def field(self, node: FieldNode, parent: GraphQLNamedType, upstream_size: int | None) -> int:
        name = node.name.value
        if name.startswith("__"):
            return 0  # __typename, and introspection, which the operation limits bound
        fields = getattr(parent, "fields", None)
        definition = fields.get(name) if fields is not None else None
        if definition is None:
            raise _Unscorable(f"Field '{name}' is not defined on type '{parent.name}'.")
        facts = self.model.types.get(parent.name)
        known = facts.fields.get(name) if facts is not None else None
        list_size = known.list_size if known is not None else None
        named = get_named_type(definition.type)
        expected = self._expected_size(node, definition.args, list_size, f"{parent.name}.{name}")

        if isinstance(get_nullable_type(definition.type), GraphQLList):
            if upstream_size is not None:
                instances = upstream_size
            elif expected is not None:
                instances = expected
            else:
                instances = self.estimator.settings.list_size
        else:
            instances = 1

        weight: int | None = known.cost if known is not None else None
        if weight is None:
            return_facts = self.model.types.get(named.name)
            weight = return_facts.cost if return_facts is not None else None
        if weight is None:
            weight = 1 if is_composite_type(named) else 0
        sized = list_size.sized_fields if list_size is not None else ()
        children = self.selection_set(node.selection_set, named, sized, expected if sized else None)
        arguments = sum(self._argument(parent.name, name, a, definition.args) for a in node.arguments or ())
        return instances * (weight + children) + arguments

    def _expected_size(
        self, node: FieldNode, args: dict[str, GraphQLArgument], list_size: ListSize | None, where: str
    ) -> int | None:
        if list_size is None:
            return None
        if list_size.slicing_arguments:
            given = {a.name.value: self._value(a.value) for a in node.arguments or ()}
            values = [given[s] for s in list_size.slicing_arguments if _is_int(given.get(s))]
            if list_size.require_one_slicing_argument and len(values) != 1:
                names = ", ".join(list_size.slicing_arguments)
                raise _Unscorable(f"Exactly one slicing argument ({names}) is required on {where}.")
            if not values:  # an argument left out counts with its default
                defaults = (_default(args.get(s)) for s in list_size.slicing_arguments)
                values = [d for d in defaults if _is_int(d)]
            if values:
                return int(max(values))
        return list_size.assumed_size

    def _value(self, value: ValueNode) -> Any:
        if isinstance(value, VariableNode):
            return self.variables.get(value.name.value)
        return value_from_ast_untyped(value)

    def _argument(
        self, type_name: str, field_name: str, node: ArgumentNode, args: dict[str, GraphQLArgument]
    ) -> int:
        definition = args.get(node.name.value)
        if definition is None:
            return 0
        weight = self.estimator.argument_cost(type_name, field_name, node.name.value)
        value: Any = self._value(node.value) if isinstance(node.value, VariableNode) else node.value
        return self._input_cost(value, definition.type, weight)

    def _input_cost(self, value: Any, type_: Any, weight: int | None) -> int:
        if value is None or isinstance(value, NullValueNode):
            return 0
        named = get_named_type(type_)
        items = (
            value.values if isinstance(value, ListValueNode) else value if isinstance(value, list) else None
        )
        if items is not None:
            inner = get_nullable_type(type_)
            item_type = inner.of_type if isinstance(inner, GraphQLList) else type_
            return (weight or 0) + sum(self._input_cost(v, item_type, weight) for v in items)
        if is_input_object_type(named) and isinstance(value, ObjectValueNode | dict):
            assert isinstance(named, GraphQLInputObjectType)
            cost = 1 if weight is None else weight
            pairs = (
                [(f.name.value, f.value) for f in value.fields]
                if isinstance(value, ObjectValueNode)
                else list(value.items())
            )
            for name, inner_value in pairs:
                field = named.fields.get(name)
                if field is None:
                    continue
                if isinstance(inner_value, VariableNode):
                    inner_value = self.variables.get(inner_value.name.value)
                weight = self.estimator.input_field_cost(named.name, name)
                cost += self._input_cost(inner_value, field.type, weight)
            return cost
        return weight or 0

    def _skipped(self, selection: Any) -> bool:
        for directive in selection.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            condition = next((a.value for a in directive.arguments or () if a.name.value == "if"), None)
            if isinstance(condition, VariableNode):
                flag = self.variables.get(condition.name.value)
            elif isinstance(condition, BooleanValueNode):
                flag = condition.value
            else:
                continue
            if (name == "skip" and flag is True) or (name == "include" and flag is False):
                return True
        return False


def _default(argument: GraphQLArgument | None) -> Any:
    """An argument's default value; schemas built from SDL may keep it only in the definition node."""
    if argument is None:
        return None
    if argument.default_value is not Undefined:
        return argument.default_value
    node = argument.ast_node
    if node is not None and node.default_value is not None:
        return value_from_ast_untyped(node.default_value)
    return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
