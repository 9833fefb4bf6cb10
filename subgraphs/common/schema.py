"""The Strawberry federation schema every service is: error masking, error logging, checked representations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLUnionType
from strawberry.federation.schema import FederationAny
from strawberry.types import ExecutionContext, Info

from .error_log import log_errors
from .literals import LiteralLimits
from .masking import MaskUnexpectedErrors, code_request_errors
from .representations import ReferenceResolver, checked_representation

__all__ = ["SubgraphSchema"]

FEDERATION_VERSION = "2.7"


class SubgraphSchema(strawberry.federation.Schema):
    """``strawberry.federation.Schema`` with the error policy of every service of ours."""

    def __init__(
        self,
        *,
        service: str,
        query: type,
        mutation: type | None = None,
        subscription: type | None = None,
        types: Sequence[type] = (),
    ) -> None:
        self.service = service
        super().__init__(
            query=query,
            mutation=mutation,
            subscription=subscription,
            types=types,
            extensions=[LiteralLimits, MaskUnexpectedErrors],
            federation_version=FEDERATION_VERSION,
        )

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Runs before the masking extension, so the log keeps the original error.
        code_request_errors(errors)
        log_errors(errors, service=self.service)

    @cached_property
    def _reference_resolvers(self) -> dict[str, ReferenceResolver]:
        entity_union = self._schema.type_map.get("_Entity")
        names: Iterable[str] = (
            [t.name for t in entity_union.types] if isinstance(entity_union, GraphQLUnionType) else []
        )
        resolvers = {}
        for name in names:
            origin = self.schema_converter.type_map[name].definition.origin  # type: ignore[union-attr]
            if hasattr(origin, "resolve_reference"):
                resolvers[name] = ReferenceResolver(name, origin.resolve_reference)
        return resolvers

    def entities_resolver(self, info: Info, representations: list[FederationAny]) -> list[FederationAny]:
        """``_entities``: one answer per representation, a coded error for each malformed one."""
        results: list[Any] = []
        for index, representation in enumerate(representations):
            try:
                checked = checked_representation(representation, index, self._reference_resolvers)
            except GraphQLError as error:
                results.append(error)
                continue
            results.extend(super().entities_resolver(info, [checked]))  # type: ignore[list-item]
        return results
