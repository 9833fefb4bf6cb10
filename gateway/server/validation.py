"""Validating a client document with graphql-core's rules, their reference cycles cut once it is done.

``graphql.validate`` makes one visitor per rule, and each visitor keeps, per AST node kind, its bound ``enter``
and ``leave`` methods (``Visitor.enter_leave_map``): a cycle through the visitor, alive until the collector's
next pass. A cold document left about 1,400 such objects per request, which made the young collections run
often and long, and which ``gateway.server.runtime.PermanentGeneration`` could freeze while they were still in
use, so they were never freed. The rules here are graphql-core's own (``specified_rules``), subclassed only to
be found again: after validation their state is dropped, and what only they held is freed by reference
counting, about a third of it. The parallel visitor graphql-core wraps them in (its per-kind closures) stays a
cycle: ``validate`` makes it inside and hands it out nowhere. graphql-core has no option for this, so it is
done here.
"""

from __future__ import annotations

import threading
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema, specified_rules, validate
from graphql.validation import ASTValidationRule, ValidationContext

__all__ = ["validate_document"]

_made = threading.local()  # the rule visitors of the validation running on this thread


def _found_again(rule: type[ASTValidationRule]) -> type[ASTValidationRule]:
    def __init__(self: ASTValidationRule, context: ValidationContext) -> None:
        rule.__init__(self, context)
        _made.visitors.append(self)

    return type(rule.__name__, (rule,), {"__init__": __init__, "__module__": __name__})


_RULES = tuple(_found_again(rule) for rule in specified_rules)


def validate_document(schema: GraphQLSchema, document: DocumentNode, **options: Any) -> list[GraphQLError]:
    """``graphql.validate(schema, document, **options)`` with the specified rules, leaving no cycles behind."""
    visitors: list[ASTValidationRule] = []
    _made.visitors = visitors
    try:
        return validate(schema, document, _RULES, **options)
    finally:
        _made.visitors = []
        for visitor in visitors:
            visitor.__dict__.clear()  # the enter/leave map, the context and each rule's own caches
