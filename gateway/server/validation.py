"""Validating a client document with graphql-core's rules, leaving no reference cycle behind.

graphql-core's ``validate`` makes one visitor per rule, wraps them in a ``ParallelVisitor`` and that in a
``TypeInfoVisitor``, and each visitor keeps, per AST node kind, its bound ``enter`` and ``leave`` methods or the
closures that call every rule's (``Visitor.enter_leave_map``): a cycle through the visitor. A cold document
left about 750 such objects for the collector (tuples, bound methods, closures), which made the young
collections run often, each a pause of the event loop (``/health`` under bench/abuse.py's fuzzing), and which
``gateway.server.runtime.PermanentGeneration`` could freeze while still in use, never to be freed.

``validate`` hands none of those visitors out and has no option to drop them, so ``validate_document`` runs
the same steps itself with graphql-core's own parts (the specified rules, its context, its fragment nesting
guard, its document keys) and clears every visitor and the context when done: what they held is then freed by
reference counting. So are the tracebacks of the errors graphql-core reports for literals a scalar refuses (each
held every frame up to the thread's first, the document and the visitors among them). The errors are
graphql-core's, in its order (``tests/server/test_validation.py`` compares
them with ``validate`` over generated documents).
"""

from __future__ import annotations

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    ParallelVisitor,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    assert_valid_schema,
    specified_rules,
    visit,
)
from graphql.validation import ValidationContext
from graphql.validation.validate import (
    FragmentNestingVisitor,
    ValidationAbortedError,
    query_document_keys_to_validate,
)

__all__ = ["validate_document"]

_TOO_MANY = "Too many validation errors, error limit reached. Validation aborted."


def validate_document(
    schema: GraphQLSchema,
    document: DocumentNode,
    *,
    max_errors: int = 100,
    hide_suggestions: bool = False,
    allow_empty_selection_sets: bool = True,
) -> list[GraphQLError]:
    """``graphql.validate(schema, document)`` with the specified rules and these options, without cycles."""
    assert_valid_schema(schema)
    errors: list[GraphQLError] = []

    def on_error(error: GraphQLError) -> None:
        if len(errors) >= max_errors:
            raise ValidationAbortedError(_TOO_MANY)
        errors.append(error)

    type_info = TypeInfo(schema)
    context = ValidationContext(
        schema, document, type_info, on_error, hide_suggestions, allow_empty_selection_sets
    )
    visitors: list[Visitor] = [rule(context) for rule in specified_rules]
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    if fragments:
        visitors.insert(0, FragmentNestingVisitor(fragments))
    parallel = ParallelVisitor(visitors)
    outer = TypeInfoVisitor(type_info, parallel)
    try:
        visit(document, outer, query_document_keys_to_validate)
    except ValidationAbortedError as error:
        # As graphql-core does: the returned error keeps no frames of the validation alive.
        error.__context__ = None
        errors.append(error.with_traceback(None))
    except RecursionError:
        errors.append(ValidationAbortedError("Validation aborted."))
    finally:
        for visitor in (outer, parallel, *visitors):
            visitor.__dict__.clear()  # the enter/leave maps, the context and each rule's own caches
        context.__dict__.clear()
        type_info.__dict__.clear()
    for reported in errors:  # a refused literal is reported with what its scalar raised, frames and all
        reported.__traceback__ = None
        if reported.original_error is not None:
            reported.original_error.__traceback__ = None
    return errors
