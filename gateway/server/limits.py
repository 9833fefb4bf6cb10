"""Operation limits: what a document may ask of the gateway, checked before validation and planning.

The semantics are Apollo Router's ``limits`` (``max_depth``, ``max_height``, ``max_aliases``,
``max_root_fields``, ``parser_max_tokens``, ``parser_max_recursion``, ``http_max_request_bytes``), plus three of
our own (``max_fragment_spreads``, ``max_directives``, ``max_operations``). Every count expands fragment spreads (a fragment spread
twice counts twice) but measures each fragment definition once, so measuring is linear in the document's size
even where expanding it is exponential:

- depth: the deepest nesting of fields; fragments and inline fragments add no level (``{ a { b } }`` is 2).
- height: fields per selection set, a response key counted once within one selection set, summed over the
  whole operation (an upper bound of the distinct fields after merging).
- aliases: every aliased field.
- root fields: the fields of the operation's root selection set, including those in fragments there.
- fragment spreads: every spread visited when fragments are expanded.
- directives: the most directives on one selection (field, fragment spread or inline fragment).
- operations: the operation definitions in the document (counted before anything is measured).
- tokens and recursion: lexical tokens (comments included) and the deepest nesting of brackets, counted by a
  scan of the text that builds nothing, before the parser runs (the scan also counts the aliases written, so
  a document of many aliases is refused before it is parsed).

Every executable definition of the document is measured (graphql-core validates them all, so an unused
fragment or an operation not selected costs as much as the selected one); the first limit exceeded refuses the
request with a coded error (``MAX_DEPTH_LIMIT``, ...) naming the limit, the value found and the maximum.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

__all__ = [
    "LIMIT_CODES",
    "LimitExceeded",
    "Limits",
    "Measurements",
    "TextScan",
    "check_document",
    "measure_document",
    "scan_text",
]

# The code of each limit's error, by the name of the limit (the setting and the gateway.yaml key).
LIMIT_CODES: dict[str, str] = {
    "max_depth": "MAX_DEPTH_LIMIT",
    "max_height": "MAX_HEIGHT_LIMIT",
    "max_aliases": "MAX_ALIASES_LIMIT",
    "max_root_fields": "MAX_ROOT_FIELDS_LIMIT",
    "max_fragment_spreads": "MAX_FRAGMENT_SPREADS_LIMIT",
    "max_directives": "MAX_DIRECTIVES_LIMIT",
    "max_operations": "MAX_OPERATIONS_LIMIT",
    "max_tokens": "MAX_TOKENS_LIMIT",
    "max_recursion": "MAX_RECURSION_LIMIT",
}

_DESCRIPTIONS = {
    "max_depth": "depth",
    "max_height": "height (field count)",
    "max_aliases": "aliases",
    "max_root_fields": "root fields",
    "max_fragment_spreads": "fragment spreads",
    "max_directives": "directives on one selection",
    "max_operations": "operations",
    "max_tokens": "tokens",
    "max_recursion": "nesting",
}


@dataclass(frozen=True)
class Limits:
    """The maxima (None: no limit). Defaults: the parser and HTTP defaults of Apollo Router, and for the
    operation limits (which Apollo Router leaves unset) the values of its documentation's example, which the
    largest introspection query stays under."""

    max_depth: int | None = 100
    max_height: int | None = 400
    max_aliases: int | None = 30
    max_root_fields: int | None = 20
    max_fragment_spreads: int | None = 500
    max_directives: int | None = 10
    # Operations in one document: graphql-core validates them all, at a cost growing faster than their number.
    max_operations: int | None = 100
    max_tokens: int | None = 15_000
    max_recursion: int | None = 500
    http_max_request_bytes: int = 2_000_000
    # Units of the planning budget (gateway.planning.budget); about one per selection per planning stage.
    planning_budget: int | None = 200_000

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


@dataclass(frozen=True)
class LimitExceeded:
    """One limit a document exceeds: the limit's name, the value measured and the maximum."""

    limit: str
    measured: int
    maximum: int

    @property
    def code(self) -> str:
        return LIMIT_CODES[self.limit]

    def to_error(self) -> dict[str, Any]:
        what = _DESCRIPTIONS[self.limit]
        message = (
            f"Maximum {what} limit exceeded in this operation: "
            f"{self.limit.removeprefix('max_')} {self.measured}, {self.limit} {self.maximum}."
        )
        return {
            "message": message,
            "extensions": {
                "code": self.code,
                "limit": self.limit,
                "measured": self.measured,
                "maximum": self.maximum,
            },
        }


# One lexical unit per match (GraphQL spec 2.1 "Source Text"). Runs of white space are one match, so the number
# of matches is bounded by the tokens counted; possessive quantifiers keep every match linear.
_LEXEME = re.compile(
    r"""
    (?P<space>[\ufeff\ \t\n\r,]++)
  | (?P<comment>\#[^\n\r]*+)
  | (?P<block>\"\"\"(?:[^"\\]++|\\\"\"\"|\\|"(?!""))*+(?:\"\"\"|\Z))
  | (?P<string>"(?:[^"\\\n\r]++|\\.)*+"?)
  | (?P<open>[{(\[])
  | (?P<close>[})\]])
  | (?P<other>\.\.\.|[_A-Za-z][_0-9A-Za-z]*+|-?[0-9][0-9.eE+\-]*+|.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class TextScan:
    """What ``scan_text`` found: the tokens counted (up to the first limit exceeded) and that limit, if any."""

    tokens: int
    exceeded: LimitExceeded | None = None


def scan_text(text: str, limits: Limits) -> TextScan:
    """Count tokens, bracket nesting, written aliases and fragment spreads of a document's text without parsing
    it; stops at the first limit exceeded. Aliases and spreads written are lower bounds of those counted with
    fragments expanded, so refusing here agrees with ``check_document`` and spares the parser the work."""
    max_tokens = limits.max_tokens
    max_recursion = limits.max_recursion
    max_aliases = limits.max_aliases
    max_spreads = limits.max_fragment_spreads
    tokens = depth = aliases = spreads = 0
    # Open brackets; a name followed by ':' is an alias when the innermost is '{' outside any '(' or '['.
    stack: list[str] = []
    in_values = 0
    name_before = spread_before = False
    for match in _LEXEME.finditer(text):
        kind = match.lastgroup
        if kind == "space":
            continue
        tokens += 1
        if max_tokens is not None and tokens > max_tokens:
            return TextScan(tokens, LimitExceeded("max_tokens", tokens, max_tokens))
        if kind == "open":
            bracket = match.group()
            stack.append(bracket)
            in_values += bracket != "{"
            depth += 1
            if max_recursion is not None and depth > max_recursion:
                return TextScan(tokens, LimitExceeded("max_recursion", depth, max_recursion))
        elif kind == "close":
            if stack:
                in_values -= stack.pop() != "{"
            depth -= 1
        elif kind == "other" and match.group() == ":" and name_before and not in_values and stack:
            aliases += 1
            if max_aliases is not None and aliases > max_aliases:
                return TextScan(tokens, LimitExceeded("max_aliases", aliases, max_aliases))
        name_before = kind == "other" and (match.group()[0].isalpha() or match.group()[0] == "_")
        if spread_before and name_before and match.group() != "on":  # '...Name', not '... on Type'
            spreads += 1
            if max_spreads is not None and spreads > max_spreads:
                return TextScan(tokens, LimitExceeded("max_fragment_spreads", spreads, max_spreads))
        spread_before = kind == "other" and match.group() == "..."
    return TextScan(tokens)


@dataclass
class Measurements:
    """What ``measure_document`` finds, for one definition or, as maxima, the whole document."""

    depth: int = 0
    height: int = 0
    aliases: int = 0
    root_fields: int = 0
    fragment_spreads: int = 0
    directives: int = 0

    def add(self, nested: Measurements, depth_offset: int) -> None:
        self.depth = max(self.depth, nested.depth + depth_offset)
        self.height += nested.height
        self.aliases += nested.aliases
        self.fragment_spreads += nested.fragment_spreads
        self.directives = max(self.directives, nested.directives)

    def widen(self, other: Measurements) -> None:
        for f in fields(self):
            setattr(self, f.name, max(getattr(self, f.name), getattr(other, f.name)))


_EMPTY = Measurements()


def _measure(selection_set: SelectionSetNode | None, fragments: dict[str, Measurements]) -> Measurements:
    """Apollo Router's count: recursive within one definition (its nesting is bounded by ``max_recursion``)."""
    counts = Measurements()
    if selection_set is None:
        return counts
    seen: set[str] = set()
    for selection in selection_set.selections:
        counts.directives = max(counts.directives, len(selection.directives or ()))
        if isinstance(selection, FieldNode):
            counts.add(_measure(selection.selection_set, fragments), 1)
            counts.depth = max(counts.depth, 1)
            if selection.alias is not None:
                counts.aliases += 1
            used = (selection.alias or selection.name).value
            if used not in seen:
                seen.add(used)
                counts.height += 1
                counts.root_fields += 1
        elif isinstance(selection, InlineFragmentNode):
            nested = _measure(selection.selection_set, fragments)
            counts.add(nested, 0)
            counts.root_fields += nested.root_fields
        elif isinstance(selection, FragmentSpreadNode):
            # Unknown or cyclic fragments count as empty: validation reports them.
            nested = fragments.get(selection.name.value, _EMPTY)
            counts.add(nested, 0)
            counts.root_fields += nested.root_fields
            counts.fragment_spreads += 1
    return counts


def _spreads_in(selection_set: SelectionSetNode) -> list[str]:
    names: list[str] = []
    stack = [selection_set]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                names.append(selection.name.value)
            elif (
                isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set is not None
            ):
                stack.append(selection.selection_set)
    return names


def measure_document(document: DocumentNode) -> Measurements:
    """The maxima over every executable definition, each fragment measured once (in dependency order)."""
    definitions = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    spreads = {name: _spreads_in(d.selection_set) for name, d in definitions.items()}
    measured: dict[str, Measurements] = {}
    # Depth-first over the spreads without recursion (fragment chains may be as long as the document);
    # a spread closing a cycle counts as empty.
    for root in definitions:
        if root in measured:
            continue
        path = [(root, iter(spreads[root]))]
        on_path = {root}
        while path:
            name, pending = path[-1]
            for spread in pending:
                if spread in definitions and spread not in measured and spread not in on_path:
                    path.append((spread, iter(spreads[spread])))
                    on_path.add(spread)
                    break
            else:
                path.pop()
                on_path.discard(name)
                measured[name] = _measure(definitions[name].selection_set, measured)
    out = Measurements()
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            out.widen(_measure(definition.selection_set, measured))
        elif isinstance(definition, FragmentDefinitionNode):
            fragment = measured[definition.name.value]
            # A fragment's own fields are not root fields unless an operation spreads it at its root.
            out.widen(Measurements(**{**vars(fragment), "root_fields": 0}))
    return out


_MEASURED_BY_LIMIT = {
    "max_depth": "depth",
    "max_height": "height",
    "max_aliases": "aliases",
    "max_root_fields": "root_fields",
    "max_fragment_spreads": "fragment_spreads",
    "max_directives": "directives",
}


def check_document(document: DocumentNode, limits: Limits) -> LimitExceeded | None:
    """The first operation limit ``document`` exceeds, if any."""
    if limits.max_operations is not None:
        operations = sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)
        if operations > limits.max_operations:
            return LimitExceeded("max_operations", operations, limits.max_operations)
    measured = measure_document(document)
    for limit, attribute in _MEASURED_BY_LIMIT.items():
        maximum = getattr(limits, limit)
        value = getattr(measured, attribute)
        if maximum is not None and value > maximum:
            return LimitExceeded(limit, value, maximum)
    return None
