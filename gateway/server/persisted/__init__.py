"""Persisted queries: automatic (APQ, hash-addressed, stored on first use) and persisted operations (a manifest)."""

from __future__ import annotations

from gateway.server.persisted.documents import (
    CANNOT_SEND_PQ_ID_AND_BODY,
    PERSISTED_QUERY_HASH_MISMATCH,
    PERSISTED_QUERY_ID_REQUIRED,
    PERSISTED_QUERY_NOT_FOUND,
    PERSISTED_QUERY_NOT_IN_LIST,
    PERSISTED_QUERY_NOT_SUPPORTED,
    QUERY_NOT_IN_SAFELIST,
    PersistedDocuments,
    PersistedQueryError,
    sha256_hex,
)
from gateway.server.persisted.manifest import (
    ManifestError,
    PersistedOperation,
    PersistedQueryManifest,
    normalized_document,
)
from gateway.server.persisted.stores import DocumentStore, MemoryDocumentStore, RedisDocumentStore

__all__ = [
    "CANNOT_SEND_PQ_ID_AND_BODY",
    "PERSISTED_QUERY_HASH_MISMATCH",
    "PERSISTED_QUERY_ID_REQUIRED",
    "PERSISTED_QUERY_NOT_FOUND",
    "PERSISTED_QUERY_NOT_IN_LIST",
    "PERSISTED_QUERY_NOT_SUPPORTED",
    "QUERY_NOT_IN_SAFELIST",
    "DocumentStore",
    "ManifestError",
    "MemoryDocumentStore",
    "PersistedDocuments",
    "PersistedOperation",
    "PersistedQueryError",
    "PersistedQueryManifest",
    "RedisDocumentStore",
    "normalized_document",
    "sha256_hex",
]
