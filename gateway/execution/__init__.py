"""Execution: query plan -> GraphQL response, through the subgraph client (the gateway's only I/O)."""

from __future__ import annotations

from .client import (
    AiohttpSubgraphClient,
    HeaderPolicy,
    HttpxSubgraphClient,
    SubgraphClient,
    SubgraphFetchError,
    SubgraphRequest,
    SubgraphResponse,
)
from .executor import SUBGRAPH_REQUEST_FAILED, Executor
from .masking import ErrorMasking

__all__ = [
    "SUBGRAPH_REQUEST_FAILED",
    "AiohttpSubgraphClient",
    "ErrorMasking",
    "Executor",
    "HeaderPolicy",
    "HttpxSubgraphClient",
    "SubgraphClient",
    "SubgraphFetchError",
    "SubgraphRequest",
    "SubgraphResponse",
]
