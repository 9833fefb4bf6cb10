"""Composition errors: values with an Apollo-style code, the subgraphs, type and field they concern."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["CompositionError"]


@dataclass(frozen=True)
class CompositionError:
    """One composition error.

    ``code`` follows Apollo's composition error codes (``INVALID_FIELD_SHARING``, ``FIELD_TYPE_MISMATCH``, ...;
    https://www.apollographql.com/docs/federation/errors). ``message`` says what is wrong and how to fix it;
    ``subgraphs``, ``type_name`` and ``field_name`` locate it.
    """

    code: str
    message: str
    subgraphs: tuple[str, ...] = field(default_factory=tuple)
    type_name: str | None = None
    field_name: str | None = None

    @staticmethod
    def of(
        code: str,
        message: str,
        subgraphs: Sequence[str] = (),
        type_name: str | None = None,
        field_name: str | None = None,
    ) -> CompositionError:
        return CompositionError(code, message, tuple(subgraphs), type_name, field_name)

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"
