"""Automatic persisted queries and persisted operations, with Apollo Router's codes, messages and statuses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gateway.server.persisted import (
    CANNOT_SEND_PQ_ID_AND_BODY,
    PERSISTED_QUERY_HASH_MISMATCH,
    PERSISTED_QUERY_ID_REQUIRED,
    PERSISTED_QUERY_NOT_FOUND,
    PERSISTED_QUERY_NOT_IN_LIST,
    PERSISTED_QUERY_NOT_SUPPORTED,
    QUERY_NOT_IN_SAFELIST,
    ManifestError,
    MemoryDocumentStore,
    PersistedDocuments,
    PersistedQueryError,
    PersistedQueryManifest,
    sha256_hex,
)

QUERY = "query TopProducts { topProducts { upc name } }"
# Apollo Router's own APQ test vector: sha256("{__typename}")
TYPENAME_HASH = "ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38"


def apq(sha: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha}}


MANIFEST = {
    "format": "apollo-persisted-query-manifest",
    "version": 1,
    "operations": [
        {"id": sha256_hex(QUERY), "name": "TopProducts", "type": "query", "body": QUERY},
        {
            "id": "me-v1",
            "name": "Me",
            "type": "query",
            "body": "query Me { me { ...U } }\n\nfragment U on User { id username }",
        },
    ],
}


async def refused(documents: PersistedDocuments, params: dict[str, Any]) -> PersistedQueryError:
    with pytest.raises(PersistedQueryError) as caught:
        await documents.resolve(params)
    return caught.value


def test_the_hash_is_sha256_hex_of_the_document() -> None:
    assert sha256_hex("{__typename}") == TYPENAME_HASH


async def test_apq_hash_only_miss_then_register_then_hit() -> None:
    documents = PersistedDocuments(apq=MemoryDocumentStore())
    miss = await refused(documents, {"extensions": apq(TYPENAME_HASH)})
    assert miss.error_dict() == {
        "message": "PersistedQueryNotFound",
        "extensions": {"code": PERSISTED_QUERY_NOT_FOUND},
    }
    assert miss.status == 200  # as Apollo Router: clients look at the code and resend with the query
    assert miss.headers == {"Cache-Control": "private, no-cache, must-revalidate"}
    registered = await documents.resolve({"query": "{__typename}", "extensions": apq(TYPENAME_HASH)})
    assert registered["query"] == "{__typename}"
    hit = await documents.resolve(
        {"extensions": apq(TYPENAME_HASH), "variables": {"a": 1}, "operationName": None}
    )
    assert hit == {
        "query": "{__typename}",
        "extensions": apq(TYPENAME_HASH),
        "variables": {"a": 1},
        "operationName": None,
    }


async def test_apq_over_get_reads_json_extensions() -> None:
    documents = PersistedDocuments(apq=MemoryDocumentStore())
    get_params = {"query": "{__typename}", "extensions": json.dumps(apq(TYPENAME_HASH))}
    assert (await documents.resolve(get_params))["query"] == "{__typename}"
    hit = await documents.resolve({"extensions": json.dumps(apq(TYPENAME_HASH.upper()))})
    assert hit["query"] == "{__typename}"  # hex is case-insensitive


async def test_apq_hash_mismatch_is_400_and_stores_nothing() -> None:
    store = MemoryDocumentStore()
    documents = PersistedDocuments(apq=store)
    wrong = TYPENAME_HASH[:-1] + "6"
    error = await refused(documents, {"query": "{__typename}", "extensions": apq(wrong)})
    assert (error.code, error.status, error.message) == (
        PERSISTED_QUERY_HASH_MISMATCH,
        400,
        "provided sha does not match query",
    )
    assert len(store) == 0
    assert (await refused(documents, {"extensions": apq(wrong)})).code == PERSISTED_QUERY_NOT_FOUND


@pytest.mark.parametrize(
    "extensions",
    [
        {"persistedQuery": "abc"},
        {"persistedQuery": {"version": 2, "sha256Hash": TYPENAME_HASH}},
        {"persistedQuery": {"version": 1}},
        {"persistedQuery": {"version": 1, "sha256Hash": 12}},
        "{not json",
        [1, 2],
    ],
)
async def test_malformed_persisted_query_extension_is_400(extensions: Any) -> None:
    error = await refused(PersistedDocuments(apq=MemoryDocumentStore()), {"extensions": extensions})
    assert (error.code, error.status) == ("BAD_REQUEST", 400)


async def test_a_hash_that_is_not_hex_is_a_miss_not_a_crash() -> None:
    documents = PersistedDocuments(apq=MemoryDocumentStore())
    assert (await refused(documents, {"extensions": apq("zz")})).code == PERSISTED_QUERY_NOT_FOUND
    error = await refused(documents, {"query": "{__typename}", "extensions": apq("zz")})
    assert error.code == PERSISTED_QUERY_HASH_MISMATCH


async def test_apq_disabled_says_not_supported() -> None:
    error = await refused(PersistedDocuments(), {"extensions": apq(TYPENAME_HASH)})
    assert (error.message, error.code) == ("PersistedQueryNotSupported", PERSISTED_QUERY_NOT_SUPPORTED)


async def test_requests_without_persisted_queries_pass_untouched() -> None:
    documents = PersistedDocuments(apq=MemoryDocumentStore())
    params = {"query": QUERY, "variables": None, "extensions": {"tracing": True}}
    assert await documents.resolve(params) == params
    assert await documents.resolve({}) == {}  # the request reader reports the missing query


async def test_lru_store_drops_the_least_recently_used() -> None:
    store = MemoryDocumentStore(max_entries=2)
    await store.put("a", "A")
    await store.put("b", "B")
    assert await store.get("a") == "A"  # a is now the most recent
    await store.put("c", "C")
    assert (await store.get("b"), await store.get("a"), await store.get("c")) == (None, "A", "C")


def manifest() -> PersistedQueryManifest:
    return PersistedQueryManifest.from_json(MANIFEST)


async def test_document_id_runs_the_manifest_operation() -> None:
    documents = PersistedDocuments(manifest=manifest())
    resolved = await documents.resolve({"documentId": "me-v1", "variables": {}})
    assert resolved == {"query": MANIFEST["operations"][1]["body"], "variables": {}}
    error = await refused(documents, {"documentId": "nope", "operationName": "Me"})
    assert (error.code, error.status) == (PERSISTED_QUERY_NOT_IN_LIST, 404)
    assert error.error_dict() == {
        "message": "Persisted query 'nope' not found in the persisted query list",
        "extensions": {"code": PERSISTED_QUERY_NOT_IN_LIST, "operation_name": "Me"},
    }


async def test_apollo_clients_send_the_id_as_the_persisted_query_hash() -> None:
    documents = PersistedDocuments(manifest=manifest())
    resolved = await documents.resolve({"extensions": apq(sha256_hex(QUERY))})
    assert resolved["query"] == QUERY
    assert (await refused(documents, {"extensions": apq(TYPENAME_HASH)})).code == PERSISTED_QUERY_NOT_IN_LIST


async def test_an_id_with_a_different_body_is_refused() -> None:
    documents = PersistedDocuments(manifest=manifest())
    error = await refused(documents, {"documentId": "me-v1", "query": "{ me { id } }"})
    assert (error.code, error.status) == (CANNOT_SEND_PQ_ID_AND_BODY, 400)
    same = await documents.resolve({"documentId": "me-v1", "query": MANIFEST["operations"][1]["body"]})
    assert same["query"] == MANIFEST["operations"][1]["body"]


async def test_manifest_ids_are_found_before_apq_and_unknown_hashes_fall_back_to_apq() -> None:
    documents = PersistedDocuments(apq=MemoryDocumentStore(), manifest=manifest())
    assert (await documents.resolve({"extensions": apq(sha256_hex(QUERY))}))["query"] == QUERY
    assert (await refused(documents, {"extensions": apq(TYPENAME_HASH)})).code == PERSISTED_QUERY_NOT_FOUND


async def test_document_id_without_a_manifest_is_not_supported() -> None:
    error = await refused(PersistedDocuments(apq=MemoryDocumentStore()), {"documentId": "me-v1"})
    assert (error.code, error.status) == (PERSISTED_QUERY_NOT_SUPPORTED, 400)


async def test_safelist_refuses_operations_not_in_the_manifest() -> None:
    documents = PersistedDocuments(manifest=manifest(), safelist=True)
    error = await refused(documents, {"query": "{ topProducts { upc price } }"})
    assert (error.code, error.status) == (QUERY_NOT_IN_SAFELIST, 403)
    assert error.message == "The operation body was not found in the persisted query safelist"
    assert (await documents.resolve({"query": QUERY}))["query"] == QUERY
    assert (await documents.resolve({"documentId": "me-v1"}))["query"].startswith("query Me")
    unparsable = await refused(documents, {"query": "{ topProducts {"})
    assert unparsable.code == QUERY_NOT_IN_SAFELIST


async def test_safelist_matching_ignores_ignored_tokens_and_definition_order() -> None:
    documents = PersistedDocuments(manifest=manifest(), safelist=True)
    reordered = "# a comment\nfragment U on User { id, username }\nquery Me {\n  me { ...U }\n}"
    assert (await documents.resolve({"query": reordered}))["query"] == reordered
    renamed = "fragment U on User { id username }\nquery Me2 { me { ...U } }"
    assert (await refused(documents, {"query": renamed})).code == QUERY_NOT_IN_SAFELIST


async def test_require_id_refuses_any_freeform_query() -> None:
    documents = PersistedDocuments(manifest=manifest(), require_id=True)
    error = await refused(documents, {"query": QUERY})
    assert (error.code, error.status) == (PERSISTED_QUERY_ID_REQUIRED, 400)
    assert (await documents.resolve({"documentId": "me-v1"}))["query"].startswith("query Me")


def test_safelisting_cannot_be_combined_with_apq_or_lack_a_manifest() -> None:
    with pytest.raises(ValueError, match="cannot be combined"):
        PersistedDocuments(apq=MemoryDocumentStore(), manifest=manifest(), safelist=True)
    with pytest.raises(ValueError, match="needs a persisted query manifest"):
        PersistedDocuments(safelist=True)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "relay"}, "'format' must be"),
        ({"version": 2}, "'version' must be 1"),
        ({"operations": {}}, "'operations' must be an array"),
        ({"operations": [{"id": "x"}]}, r"operations\[0\].body"),
        ({"operations": [{"body": "{a}"}]}, r"operations\[0\].id"),
        ({"operations": [{"id": "x", "body": "{a}"}, {"id": "x", "body": "{b}"}]}, "appears twice"),
    ],
)
def test_invalid_manifests_are_refused_with_a_clear_message(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        PersistedQueryManifest.from_json({**MANIFEST, **change})


def test_manifest_from_file(tmp_path: Path) -> None:
    path = tmp_path / "persisted-query-manifest.json"
    path.write_text(json.dumps(MANIFEST))
    loaded = PersistedQueryManifest.from_file(path)
    assert len(loaded) == 2 and loaded.get("me-v1") is not None
    path.write_text("{")
    with pytest.raises(ManifestError, match="not valid JSON"):
        PersistedQueryManifest.from_file(path)
