"""Authentication in connection_init and authorization of subscription fields, through a real gateway."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from gateway.commands.serve import build_app
from gateway.server.auth.dev_key import DevKey, dev_auth_env, ensure_dev_key
from gateway.server.settings import ServerSettings
from tests.server.live import serve_in_thread
from tests.server.test_subscriptions_ws import set_status
from tests.subscriptions.clients import WsClient, wait_until, ws_url
from tests.subscriptions.live_subgraphs import LiveSubgraphs, live_subgraphs

WATCH = "subscription($id: ID!) { orderStatusChanged(orderId: $id) { id status viewer } }"


@pytest.fixture(scope="module")
def subgraphs() -> Iterator[LiveSubgraphs]:
    with live_subgraphs() as live:
        # The viewer field is for staff only (a directive the gateway enforces before planning).
        sdl = live.sdls["orders"]
        sdl = sdl.replace('import: ["@key"]', 'import: ["@key", "@requiresScopes"]')
        live.sdls["orders"] = sdl.replace(
            "viewer: String", 'viewer: String @requiresScopes(scopes: [["orders:manage"]])'
        )
        yield live


@pytest.fixture(scope="module")
def dev_key(tmp_path_factory: pytest.TempPathFactory) -> DevKey:
    return ensure_dev_key(Path(tmp_path_factory.mktemp("keys")))


@pytest.fixture(scope="module")
def gateway_url(subgraphs: LiveSubgraphs, dev_key: DevKey) -> Iterator[str]:
    app = build_app(subgraphs.supergraph(), ServerSettings(), environ=dev_auth_env(dev_key))
    with serve_in_thread(app) as url:
        yield url


async def closed_with(client: WsClient) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as closed:
        await client.receive()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def test_a_refused_token_closes_with_4403(gateway_url: str) -> None:
    client = await WsClient.open(ws_url(gateway_url), init=False)
    await client.send({"type": "connection_init", "payload": {"Authorization": "Bearer not-a-token"}})
    assert await closed_with(client) == (4403, "Forbidden")


async def test_claims_of_the_token_reach_the_subgraph_and_forged_ones_do_not(
    subgraphs: LiveSubgraphs, gateway_url: str, dev_key: DevKey
) -> None:
    token = dev_key.sign("User:42", ["orders:manage"], 60)
    payload = {"headers": {"authorization": f"Bearer {token}", "x-claims": '{"sub": "User:1"}'}}
    client = await WsClient.open(ws_url(gateway_url), payload)
    await client.subscribe("1", WATCH, {"id": "o-claims"})
    await wait_until(lambda: subgraphs.board.open_for("o-claims") == 1)
    await set_status(subgraphs, "o-claims", "PENDING")
    message = await client.receive()
    viewer = message["payload"]["data"]["orderStatusChanged"]["viewer"]
    assert '"sub":"User:42"' in viewer.replace(" ", "")
    await client.close()


async def test_a_field_the_caller_may_not_see_is_null_with_an_error(
    subgraphs: LiveSubgraphs, gateway_url: str, dev_key: DevKey
) -> None:
    token = dev_key.sign("User:7", [], 60)
    client = await WsClient.open(ws_url(gateway_url), {"Authorization": f"Bearer {token}"})
    await client.subscribe("1", WATCH, {"id": "o-unauthorized"})
    await wait_until(lambda: subgraphs.board.open_for("o-unauthorized") == 1)
    await set_status(subgraphs, "o-unauthorized", "PENDING")
    message = await client.receive()
    payload = message["payload"]
    assert payload["data"] == {
        "orderStatusChanged": {"id": "o-unauthorized", "status": "PENDING", "viewer": None}
    }
    assert payload["errors"][0]["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"
    assert payload["errors"][0]["path"] == ["orderStatusChanged", "viewer"]
    await client.close()


async def test_anonymous_callers_are_filtered_the_same_way(
    subgraphs: LiveSubgraphs, gateway_url: str
) -> None:
    client = await WsClient.open(ws_url(gateway_url))
    await client.subscribe("1", WATCH, {"id": "o-anonymous"})
    await wait_until(lambda: subgraphs.board.open_for("o-anonymous") == 1)
    await set_status(subgraphs, "o-anonymous", "PENDING")
    payload = (await client.receive())["payload"]
    assert payload["data"]["orderStatusChanged"]["viewer"] is None
    assert payload["errors"][0]["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"
    await client.close()


async def test_a_subscription_ends_when_its_token_expires(
    subgraphs: LiveSubgraphs, gateway_url: str, dev_key: DevKey
) -> None:
    # The gateway allows 30 s of clock skew (leeway): a token 29 s past its exp is still admitted.
    token = dev_key.sign("User:9", [], -29)
    client = await WsClient.open(ws_url(gateway_url), {"Authorization": f"Bearer {token}"})
    await client.subscribe("1", WATCH, {"id": "o-expiring"})
    message = await client.receive()
    assert message["type"] == "next"
    assert message["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await client.receive() == {"id": "1", "type": "complete"}
    await wait_until(lambda: subgraphs.board.open_for("o-expiring") == 0)
    await client.close()
