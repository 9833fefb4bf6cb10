"""One field's failure never fails another field, even when both await the same batched load."""

from __future__ import annotations

import asyncio

import pytest

from subgraphs.common.loaders import Loader


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request):
    return request.getfixturevalue("services" if request.param == "sqlite" else "postgres_services")


async def test_a_failing_field_beside_order_count_leaves_the_other_order_count_alone(backend):
    # The failing cursor nulls the first user (orders is non-null), and graphql-core cancels that user's
    # orderCount; the second orderCount awaits the same load and must still get its answer.
    response = await backend.orders.client.post(
        "/graphql",
        json={
            "query": '{ a: node(id: "User:1") { ... on User { orderCount orders(after: "a") { totalCount } } } '
            'b: node(id: "User:1") { ... on User { orderCount } } }'
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["data"]["a"] is None
    assert isinstance(body["data"]["b"]["orderCount"], int) and body["data"]["b"]["orderCount"] > 0
    (error,) = body["errors"]
    assert error["path"] == ["a", "orders"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "after"}


async def test_the_same_through_entities(backend):
    body = await backend.orders.query(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { orderCount lastOrderAt "
        'orders(after: "a") { totalCount } } } u: _entities(representations: $r) { ... on User { orderCount '
        "lastOrderAt } } }",
        {"r": [{"__typename": "User", "id": "User:2"}]},
    )
    assert body["data"]["_entities"] == [None]
    assert body["data"]["u"][0]["orderCount"] > 0


async def test_a_cancelled_caller_does_not_cancel_the_load_for_the_others():
    calls: list[list[int]] = []

    async def batch(keys):
        calls.append(list(keys))
        await asyncio.sleep(0.01)
        return [k * 10 for k in keys]

    loader = Loader(batch)

    async def load(key: int) -> int:
        return await loader.load(key)

    first, second = asyncio.ensure_future(load(1)), asyncio.ensure_future(load(1))
    await asyncio.sleep(0)
    first.cancel()
    assert await second == 10
    assert first.cancelled()
    assert calls == [[1]]
    assert await loader.load(1) == 10  # the cached answer survives the cancellation


async def test_a_load_everybody_cancelled_is_not_left_cached_as_cancelled():
    async def batch(keys):
        await asyncio.sleep(0.01)
        return list(keys)

    loader = Loader(batch)
    only = asyncio.ensure_future(loader.load(3))
    await asyncio.sleep(0)
    only.cancel()
    await asyncio.sleep(0.02)
    assert await loader.load(3) == 3
