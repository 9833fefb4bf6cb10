"""Operation limits: what a document may ask of the gateway, checked before validation and planning.

The semantics are Apollo Router's ``limits`` (``max_depth``, ``max_height``, ``max_aliases``,
``max_root_fields``, ``parser_max_tokens``, ``parser_max_recursion``, ``http_max_request_bytes``), plus our own
(``max_fragment_spreads``, ``max_directives``, ``max_operations``, ``max_document_bytes``, ``max_number_length``,
``max_repeated_fields``). Every count expands fragment spreads (a fragment spread
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
  scan of the text that builds nothing, before the parser runs (the scan also counts the aliases and spreads
  written, so a document of many aliases is refused before it is parsed).
- document bytes, number length, operations and repeated fields: also counted by the text scan (the parser's
  and the validator's cost grows with each: a character at a time for comments and literals, every operation
  validated, every pair of selections merged into one response field compared).

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
    "document_size_exceeded",
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
    "max_document_bytes": "MAX_DOCUMENT_BYTES_LIMIT",
    "max_number_length": "MAX_NUMBER_LENGTH_LIMIT",
    "max_repeated_fields": "MAX_REPEATED_FIELDS_LIMIT",
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
    "max_document_bytes": "document size (bytes)",
    "max_number_length": "number length",
    "max_repeated_fields": "selections of one response field",
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
    # The text's UTF-8 bytes: graphql-core lexes comments, strings and white space a character at a time
    # (256 KiB of comment took it 40 ms, about what 15,000 tokens take); also plan_cache_max_document_bytes.
    max_document_bytes: int | None = 256 * 1024
    # Characters of one number literal (an Int is at most 11, a float's exact decimal expansion under 800
    # only for values no client writes); a 100,000-digit one took the lexer and validation 17 ms.
    max_number_length: int | None = 100
    # Selections merged into one response field; graphql-core's validation compares every pair of them.
    max_repeated_fields: int | None = 20
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


_OPERATION_KEYWORDS = frozenset({"query", "mutation", "subscription"})


def _utf8_length(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def document_size_exceeded(text: str, limits: Limits) -> LimitExceeded | None:
    """``max_document_bytes`` exceeded by ``text``, decided without hashing or copying it (so a request can be
    refused before its document is hashed for the plan cache)."""
    max_bytes = limits.max_document_bytes
    if max_bytes is None or len(text) <= max_bytes // 4:  # at most four UTF-8 bytes per character
        return None
    size = _utf8_length(text)
    return LimitExceeded("max_document_bytes", size, max_bytes) if size > max_bytes else None


def scan_text(text: str, limits: Limits) -> TextScan:
    """Measure a document's text without parsing it; stops at the first limit exceeded.

    Counts the bytes, tokens, bracket nesting, operations, number lengths, written aliases and fragment spreads
    and the selections merged into one response field. Aliases and spreads written are lower bounds of those
    counted with fragments expanded, so refusing here agrees with ``check_document`` and spares the parser the
    work. Repeated selections are counted where graphql-core's validation merges them (its
    ``OverlappingFieldsCanBeMergedRule`` compares every pair): a field's selections merge with the selections
    of the fields of the same response key beside it, inline fragments without a type condition merge with
    their parent, and each operation and fragment definition is a position of its own.
    """
    oversized = document_size_exceeded(text, limits)
    if oversized is not None:
        return TextScan(0, oversized)
    max_tokens = limits.max_tokens
    max_recursion = limits.max_recursion
    max_aliases = limits.max_aliases
    max_spreads = limits.max_fragment_spreads
    max_operations = limits.max_operations
    max_number = limits.max_number_length
    max_repeated = limits.max_repeated_fields
    tokens = depth = aliases = spreads = operations = 0
    # Open brackets: for '{', the response position its selections merge into; None for '(' and '['.
    stack: list[int | None] = []
    in_values = 0  # brackets open that hold values ('(' and '[', and '{' inside them)
    # Response positions: (parent position, response key) -> position; how many selections merged into each.
    positions: dict[tuple[int, str], int] = {}
    merged: list[int] = []
    pending = -1  # the position the next '{' opens, set by the field or type condition before it
    definition_start = True
    previous = ""  # the previous token's text, when it is punctuation or a name
    after_alias = after_spread = type_condition = False
    for match in _LEXEME.finditer(text):
        kind = match.lastgroup
        if kind == "space":
            continue
        tokens += 1
        if max_tokens is not None and tokens > max_tokens:
            return TextScan(tokens, LimitExceeded("max_tokens", tokens, max_tokens))
        if kind == "open":
            bracket = match.group()
            depth += 1
            if max_recursion is not None and depth > max_recursion:
                return TextScan(tokens, LimitExceeded("max_recursion", depth, max_recursion))
            if bracket != "{" or in_values:
                in_values += 1
                stack.append(None)
            else:
                if not stack:  # a definition's selection set: a position of its own
                    if definition_start:
                        operations += 1
                        if max_operations is not None and operations > max_operations:
                            return TextScan(
                                tokens, LimitExceeded("max_operations", operations, max_operations)
                            )
                    pending = len(merged)
                    merged.append(1)
                stack.append(pending)
            definition_start = False
            previous = bracket
            after_spread = type_condition = after_alias = False
            continue
        if kind == "close":
            if stack and stack.pop() is None:
                in_values -= 1
            depth -= 1
            definition_start = not stack and match.group() == "}"
            previous = "}"
            continue
        if kind == "comment":
            continue
        if kind != "other":
            previous = ""
            continue
        token = match.group()
        first = token[0]
        if first.isalpha() or first == "_":
            if not stack:
                if definition_start and token in _OPERATION_KEYWORDS:
                    operations += 1
                    if max_operations is not None and operations > max_operations:
                        return TextScan(tokens, LimitExceeded("max_operations", operations, max_operations))
                definition_start = False
            elif not in_values and previous not in ("@", "$"):
                parent = stack[-1]
                assert parent is not None
                if type_condition:
                    # '... on Type': the inline fragment's selections are a position of their own.
                    pending = _position(positions, merged, parent, "... on " + token)
                    type_condition = False
                elif after_spread:
                    if token == "on":
                        type_condition = True
                    else:
                        spreads += 1
                        if max_spreads is not None and spreads > max_spreads:
                            return TextScan(
                                tokens, LimitExceeded("max_fragment_spreads", spreads, max_spreads)
                            )
                    after_spread = False
                elif after_alias:
                    after_alias = False  # the field's name after its alias: the alias is the response key
                else:
                    pending = _position(positions, merged, parent, token)
                    count = merged[pending] = merged[pending] + 1
                    if max_repeated is not None and count > max_repeated:
                        return TextScan(tokens, LimitExceeded("max_repeated_fields", count, max_repeated))
            previous = "name"
            continue
        if first.isdigit() or first == "-":
            if max_number is not None and len(token) > max_number:
                return TextScan(tokens, LimitExceeded("max_number_length", len(token), max_number))
            previous = ""
            continue
        if token == "...":
            parent = stack[-1] if stack else None
            if parent is not None:
                after_spread = True
                pending = parent  # '... {' and '... @include(if: $x) {' merge with their parent
        elif token == ":" and previous == "name" and not in_values and stack:
            after_alias = True
            aliases += 1
            if max_aliases is not None and aliases > max_aliases:
                return TextScan(tokens, LimitExceeded("max_aliases", aliases, max_aliases))
        elif token == "@":
            after_spread = False  # '... @dir {': an inline fragment without a type condition
        previous = token
    return TextScan(tokens)


def _position(positions: dict[tuple[int, str], int], merged: list[int], parent: int, key: str) -> int:
    """The response position of ``key`` under ``parent``, created with no selection counted yet."""
    position = positions.get((parent, key))
    if position is None:
        position = positions[(parent, key)] = len(merged)
        merged.append(0)
    return position


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
