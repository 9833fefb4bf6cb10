"""Value literals and JSON numbers a request may carry: no number so long that parsing it is the attack.

Python refuses to turn more than 4,300 digits into an ``int`` and says so in words meant for programmers
(``sys.set_int_max_str_digits()``); a 64-bit key has at most 19 digits. So a longer number is refused first, with
a message about the request, whether it is a literal in the document or a number in the JSON body.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError
from graphql.language import SKIP, FloatValueNode, IntValueNode, VisitorAction
from graphql.validation import ValuesOfCorrectTypeRule
from strawberry.extensions import SchemaExtension

from .errors import BAD_USER_INPUT

__all__ = ["MAX_NUMBER_DIGITS", "LiteralLimits", "ValuesInRangeRule", "decode_request_json"]

MAX_NUMBER_DIGITS = 40


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


class ValuesInRangeRule(ValuesOfCorrectTypeRule):
    """graphql-core's "Values of Correct Type" rule, refusing over-long numbers and coding what it reports.

    See https://spec.graphql.org/draft/#sec-Values-of-Correct-Type: a value of the wrong type or out of range is
    the client's input error, so it is ``BAD_USER_INPUT``.
    """

    def _too_long(self, node: IntValueNode | FloatValueNode) -> bool:
        digits = _digits(node.value)
        if digits <= MAX_NUMBER_DIGITS:
            return False
        self.report_error(
            GraphQLError(
                f"Number literal out of range: it has {digits} digits, at most {MAX_NUMBER_DIGITS} are accepted.",
                node,
            )
        )
        return True

    def enter_int_value(self, node: IntValueNode, *args: Any) -> VisitorAction:
        return SKIP if self._too_long(node) else super().enter_int_value(node, *args)

    def enter_float_value(self, node: FloatValueNode, *args: Any) -> VisitorAction:
        return SKIP if self._too_long(node) else super().enter_float_value(node, *args)

    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {**(error.extensions or {}), "code": BAD_USER_INPUT}
        super().report_error(error)


class LiteralLimits(SchemaExtension):
    """Runs ``ValuesInRangeRule`` in place of graphql-core's rule for every operation."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = tuple(
            ValuesInRangeRule if rule is ValuesOfCorrectTypeRule else rule
            for rule in context.validation_rules
        )
        yield


def _parse_int(text: str) -> int:
    if _digits(text) > MAX_NUMBER_DIGITS:
        raise HTTPException(
            400,
            f"A number in the request body has {_digits(text)} digits; at most {MAX_NUMBER_DIGITS} are accepted.",
        )
    return int(text)


def decode_request_json(data: str | bytes) -> object:
    """``json.loads`` for request bodies: over-long numbers and absurd nesting are a 400, never a crash."""
    try:
        return json.loads(data, parse_int=_parse_int)
    except RecursionError:
        raise HTTPException(400, "The request body nests too deeply.") from None
