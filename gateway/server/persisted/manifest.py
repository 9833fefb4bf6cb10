"""Persisted-operation manifests in Apollo's format, and the safelist they define.

Format (Apollo's ``generate-persisted-query-manifest``): ``{"format": "apollo-persisted-query-manifest",
"version": 1, "operations": [{"id", "name", "type", "body"}]}``. Safelist matching ignores what GraphQL
ignores (whitespace, commas, comments) and the order of top-level definitions, as Apollo Router does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import GraphQLError, parse, print_ast

__all__ = ["ManifestError", "PersistedOperation", "PersistedQueryManifest", "normalized_document"]

FORMAT = "apollo-persisted-query-manifest"


class ManifestError(ValueError):
    """The manifest is not a valid Apollo persisted query manifest; the message says where."""


@dataclass(frozen=True)
class PersistedOperation:
    id: str
    body: str
    name: str | None = None
    type: str | None = None


def normalized_document(body: str) -> str:
    """``body`` printed canonically with its definitions sorted; an unparsable body stays as it is."""
    try:
        document = parse(body, no_location=True)
    except GraphQLError:
        return body
    return "\n\n".join(sorted(print_ast(definition) for definition in document.definitions))


class PersistedQueryManifest:
    """The operations by ``id`` and the set of their normalised bodies (the safelist)."""

    def __init__(self, operations: list[PersistedOperation]) -> None:
        self.operations: dict[str, PersistedOperation] = {}
        for operation in operations:
            if operation.id in self.operations and self.operations[operation.id].body != operation.body:
                raise ManifestError(f"operation id {operation.id!r} appears twice with different bodies")
            self.operations[operation.id] = operation
        self._safelist = frozenset(normalized_document(op.body) for op in operations)

    def __len__(self) -> int:
        return len(self.operations)

    def get(self, operation_id: str) -> PersistedOperation | None:
        return self.operations.get(operation_id)

    def allows(self, body: str) -> bool:
        """Whether ``body`` is (up to ignored tokens and definition order) a body of the manifest."""
        return normalized_document(body) in self._safelist

    @classmethod
    def from_json(cls, data: Any) -> PersistedQueryManifest:
        if not isinstance(data, Mapping):
            raise ManifestError("a manifest is a JSON object")
        if data.get("format") != FORMAT:
            raise ManifestError(f"'format' must be {FORMAT!r}, not {data.get('format')!r}")
        if data.get("version") != 1:
            raise ManifestError(f"'version' must be 1, not {data.get('version')!r}")
        raw = data.get("operations")
        if not isinstance(raw, list):
            raise ManifestError("'operations' must be an array")
        operations = []
        for index, entry in enumerate(raw):
            where = f"operations[{index}]"
            if not isinstance(entry, Mapping):
                raise ManifestError(f"{where} must be an object")
            op_id, body = entry.get("id"), entry.get("body")
            if not isinstance(op_id, str) or not op_id:
                raise ManifestError(f"{where}.id must be a non-empty string")
            if not isinstance(body, str) or not body.strip():
                raise ManifestError(f"{where}.body must be a non-empty string")
            name, kind = entry.get("name"), entry.get("type")
            operations.append(
                PersistedOperation(
                    op_id,
                    body,
                    name if isinstance(name, str) else None,
                    kind if isinstance(kind, str) else None,
                )
            )
        return cls(operations)

    @classmethod
    def from_file(cls, path: str | Path) -> PersistedQueryManifest:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ManifestError(f"{path} is not valid JSON: {exc}") from None
        try:
            return cls.from_json(data)
        except ManifestError as exc:
            raise ManifestError(f"{path}: {exc}") from None
