"""A supergraph reload: subscriptions that still plan the same continue, the others end with a coded error."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from gateway.commands.serve import build_app
from gateway.server.settings import ServerSettings
from tests.server.test_subscriptions_ws import ORDER_SUBSCRIPTION, set_status
from tests.subscriptions.clients import WsClient, serve_in_loop, wait_until, ws_url
from tests.subscriptions.live_subgraphs import LiveSubgraphs, live_subgraphs


@pytest.fixture(scope="module")
def subgraphs() -> Iterator[LiveSubgraphs]:
    with live_subgraphs() as live:
        yield live


async def test_a_subscription_that_plans_the_same_continues(subgraphs: LiveSubgraphs) -> None:
    app = build_app(subgraphs.supergraph(), ServerSettings(), environ={})
    gateway = app.app.state.gateway  # inside the operation controls (APQ is on)
    async with serve_in_loop(app) as url:
        client = await WsClient.open(ws_url(url))
        await client.subscribe("1", ORDER_SUBSCRIPTION, {"id": "o-reload-same"})
        await wait_until(lambda: subgraphs.board.open_for("o-reload-same") == 1)
        opened = subgraphs.board.opened
        old_executor = gateway.executor
        gateway.reload(subgraphs.supergraph())  # composed again: a new supergraph, the same plan
        assert gateway.executor is not old_executor
        await set_status(subgraphs, "o-reload-same", "PENDING")
        message = await client.receive()
        assert message["payload"]["data"]["orderStatusChanged"]["customer"] == {"id": "u1", "name": "Ada u1"}
        assert subgraphs.board.opened == opened  # the same upstream subscription
        (stream,) = gateway.subscriptions
        assert stream.executor is gateway.executor
        await client.close()
        await wait_until(lambda: subgraphs.board.open_for("o-reload-same") == 0)


async def test_a_subscription_whose_plan_changed_ends_with_subscription_schema_reload(
    subgraphs: LiveSubgraphs,
) -> None:
    app = build_app(subgraphs.supergraph(), ServerSettings(), environ={})
    gateway = app.app.state.gateway  # inside the operation controls (APQ is on)
    async with serve_in_loop(app) as url:
        client = await WsClient.open(ws_url(url))
        await client.subscribe("1", ORDER_SUBSCRIPTION, {"id": "o-reload-changed"})
        await wait_until(lambda: subgraphs.board.open_for("o-reload-changed") == 1)
        # The orders subgraph moved: its stream reads the old address, so the subscription must start again.
        moved = subgraphs.supergraph()
        moved.subgraphs["orders"] = replace(
            moved.subgraphs["orders"], url=moved.subgraphs["orders"].url + "/"
        )
        gateway.reload(moved)
        message = await client.receive()
        assert message["type"] == "next"
        error = message["payload"]["errors"][0]
        assert error["extensions"]["code"] == "SUBSCRIPTION_SCHEMA_RELOAD"
        assert await client.receive() == {"id": "1", "type": "complete"}
        await wait_until(lambda: subgraphs.board.open_for("o-reload-changed") == 0)
        assert not gateway.subscriptions
        await client.close()


async def test_a_subscription_the_new_supergraph_cannot_run_ends_too(subgraphs: LiveSubgraphs) -> None:
    app = build_app(subgraphs.supergraph(), ServerSettings(), environ={})
    gateway = app.app.state.gateway  # inside the operation controls (APQ is on)
    async with serve_in_loop(app) as url:
        client = await WsClient.open(ws_url(url))
        await client.subscribe("1", ORDER_SUBSCRIPTION, {"id": "o-reload-gone"})
        await wait_until(lambda: subgraphs.board.open_for("o-reload-gone") == 1)
        without_users = LiveSubgraphs(
            {n: u for n, u in subgraphs.urls.items() if n != "users"},
            {n: s for n, s in subgraphs.sdls.items() if n != "users"},
            subgraphs.board,
        )
        gateway.reload(without_users.supergraph())  # customer { name } no longer exists
        message = await client.receive()
        assert message["payload"]["errors"][0]["extensions"]["code"] == "SUBSCRIPTION_SCHEMA_RELOAD"
        assert await client.receive() == {"id": "1", "type": "complete"}
        await wait_until(lambda: subgraphs.board.open_for("o-reload-gone") == 0)
        await client.close()
