"""Turns a request's persisted-query reference into its document, before the document is parsed.

Automatic persisted queries (Apollo's protocol): ``extensions.persistedQuery = {version: 1, sha256Hash}``;
a hash alone is looked up (a miss is ``PERSISTED_QUERY_NOT_FOUND``, so the client resends with the query),
a hash with a query is checked against the query and stored. Persisted operations: an id from an Apollo
manifest, sent as ``extensions.persistedQuery.sha256Hash`` (Apollo's clients) or as ``documentId`` (GraphQL
over HTTP draft, "Persisted Documents"). With ``safelist`` a freeform query must be a manifest body, and with
``require_id`` only ids are accepted. Codes, messages and statuses are Apollo Router's.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.server.errors import BAD_REQUEST, error_dict
from gateway.server.persisted.manifest import PersistedQueryManifest
from gateway.server.persisted.stores import DocumentStore

__all__ = [
    "CANNOT_SEND_PQ_ID_AND_BODY",
    "PERSISTED_QUERY_HASH_MISMATCH",
    "PERSISTED_QUERY_ID_REQUIRED",
    "PERSISTED_QUERY_NOT_FOUND",
    "PERSISTED_QUERY_NOT_IN_LIST",
    "PERSISTED_QUERY_NOT_SUPPORTED",
    "QUERY_NOT_IN_SAFELIST",
    "PersistedDocuments",
    "PersistedQueryError",
    "sha256_hex",
]

PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
PERSISTED_QUERY_HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
PERSISTED_QUERY_NOT_IN_LIST = "PERSISTED_QUERY_NOT_IN_LIST"
PERSISTED_QUERY_ID_REQUIRED = "PERSISTED_QUERY_ID_REQUIRED"
QUERY_NOT_IN_SAFELIST = "QUERY_NOT_IN_SAFELIST"
CANNOT_SEND_PQ_ID_AND_BODY = "CANNOT_SEND_PQ_ID_AND_BODY"

# A miss must not be cached by a client or proxy: the next request (with the query) fills the store.
_NO_CACHE = {"Cache-Control": "private, no-cache, must-revalidate"}
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")


def sha256_hex(document: str) -> str:
    """The APQ hash of a document: SHA-256 of its UTF-8 bytes, lowercase hex."""
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


@dataclass
class PersistedQueryError(Exception):
    """A request refused before parsing: a GraphQL error with ``code``, an HTTP ``status`` and headers."""

    message: str
    code: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def error_dict(self) -> dict[str, Any]:
        return error_dict(self.message, self.code, **self.extensions)


def _extensions(params: Mapping[str, Any]) -> Mapping[str, Any] | None:
    raw = params.get("extensions")
    if isinstance(raw, str):  # GET: the parameter is JSON text
        if not raw:
            return None
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            raise PersistedQueryError(
                "The 'extensions' parameter is not valid JSON.", BAD_REQUEST, 400
            ) from None
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise PersistedQueryError("The 'extensions' parameter must be a map or null.", BAD_REQUEST, 400)
    return raw


def _persisted_hash(params: Mapping[str, Any]) -> str | None:
    extensions = _extensions(params)
    if extensions is None or extensions.get("persistedQuery") is None:
        return None
    persisted = extensions["persistedQuery"]
    if not isinstance(persisted, Mapping):
        raise PersistedQueryError("'extensions.persistedQuery' must be a map.", BAD_REQUEST, 400)
    if persisted.get("version") != 1:
        raise PersistedQueryError("Unsupported persisted query version.", BAD_REQUEST, 400)
    sha = persisted.get("sha256Hash")
    if not isinstance(sha, str) or not sha:
        raise PersistedQueryError(
            "'extensions.persistedQuery.sha256Hash' must be a string.", BAD_REQUEST, 400
        )
    return sha


class PersistedDocuments:
    """``await resolve(params)``: the request parameters with ``query`` filled in, or a ``PersistedQueryError``.

    ``apq`` is the store of automatically persisted queries (``None``: APQ off). ``manifest`` holds the
    persisted operations. APQ cannot be combined with ``safelist``: it would let any client add operations.
    """

    def __init__(
        self,
        *,
        apq: DocumentStore | None = None,
        manifest: PersistedQueryManifest | None = None,
        safelist: bool = False,
        require_id: bool = False,
    ) -> None:
        if (safelist or require_id) and manifest is None:
            raise ValueError("safelisting needs a persisted query manifest")
        if (safelist or require_id) and apq is not None:
            raise ValueError("automatic persisted queries cannot be combined with safelisting")
        self.apq = apq
        self.manifest = manifest
        self.safelist = safelist or require_id
        self.require_id = require_id

    async def resolve(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``params`` (a POST body map or GET query parameters) with the document as ``query``."""
        out = dict(params)
        query = params.get("query")
        if query is not None and not isinstance(query, str):
            return out  # the request reader reports a malformed query
        query = query or None
        document_id = params.get("documentId")
        if document_id is not None:
            if not isinstance(document_id, str) or not document_id:
                raise PersistedQueryError("The 'documentId' parameter must be a string.", BAD_REQUEST, 400)
            out.pop("documentId")
            out["query"] = self._from_manifest(document_id, query, params, required=True)
            return out
        sha = _persisted_hash(params)
        if sha is not None:
            from_manifest = self._from_manifest(sha, query, params, required=self.apq is None)
            if from_manifest is not None:
                out["query"] = from_manifest
                return out
            out["query"] = await self._automatic(sha, query)
            return out
        if query is not None and self.safelist:
            if self.require_id:
                raise PersistedQueryError(
                    "This endpoint does not allow freeform GraphQL requests; operations must be sent by ID "
                    "in the persisted queries GraphQL extension.",
                    PERSISTED_QUERY_ID_REQUIRED,
                    400,
                )
            assert self.manifest is not None
            if not self.manifest.allows(query):
                raise PersistedQueryError(
                    "The operation body was not found in the persisted query safelist",
                    QUERY_NOT_IN_SAFELIST,
                    403,
                    dict(_NO_CACHE),
                )
        return out

    def _from_manifest(
        self, operation_id: str, query: str | None, params: Mapping[str, Any], *, required: bool
    ) -> str | None:
        operation = self.manifest.get(operation_id) if self.manifest is not None else None
        if operation is None:
            if not required:
                return None
            if self.manifest is None:
                raise PersistedQueryError("PersistedQueryNotSupported", PERSISTED_QUERY_NOT_SUPPORTED, 400)
            name = params.get("operationName")
            raise PersistedQueryError(
                f"Persisted query '{operation_id}' not found in the persisted query list",
                PERSISTED_QUERY_NOT_IN_LIST,
                404,
                dict(_NO_CACHE),
                {"operation_name": name} if isinstance(name, str) else {},
            )
        if query is not None and query != operation.body:
            raise PersistedQueryError(
                "Sending a persisted query ID and a body in the same request is disallowed",
                CANNOT_SEND_PQ_ID_AND_BODY,
                400,
                dict(_NO_CACHE),
            )
        return operation.body

    async def _automatic(self, sha: str, query: str | None) -> str:
        if self.apq is None:
            raise PersistedQueryError("PersistedQueryNotSupported", PERSISTED_QUERY_NOT_SUPPORTED, 200)
        if query is not None:
            if not _SHA256_HEX.fullmatch(sha) or sha256_hex(query) != sha.lower():
                raise PersistedQueryError(
                    "provided sha does not match query", PERSISTED_QUERY_HASH_MISMATCH, 400, dict(_NO_CACHE)
                )
            await self.apq.put(sha.lower(), query)
            return query
        stored = await self.apq.get(sha.lower()) if _SHA256_HEX.fullmatch(sha) else None
        if stored is None:
            raise PersistedQueryError(
                "PersistedQueryNotFound", PERSISTED_QUERY_NOT_FOUND, 200, dict(_NO_CACHE)
            )
        return stored
