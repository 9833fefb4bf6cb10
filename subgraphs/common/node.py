"""The ``Node`` interface every entity implements, in every service: a global ID unique across the supergraph."""

from __future__ import annotations

import strawberry

__all__ = ["Node"]


@strawberry.interface(description="An object with a global ID, of the form 'Type:<number>'.")
class Node:
    id: strawberry.ID
