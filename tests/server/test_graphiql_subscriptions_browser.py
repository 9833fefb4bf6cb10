"""GraphiQL in headless Chromium runs a subscription over the gateway's WebSocket and shows each event."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright import async_api

from gateway.commands.serve import build_app
from gateway.server.settings import ServerSettings
from tests.server.live import serve_in_thread
from tests.server.test_graphiql_browser import CHROMIUM_ARGS, chromium  # noqa: F401 (a fixture)
from tests.server.test_subscriptions_ws import set_status
from tests.subscriptions.clients import wait_until
from tests.subscriptions.live_subgraphs import LiveSubgraphs, live_subgraphs

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

SUBSCRIPTION = """subscription Watch {
  orderStatusChanged(orderId: "o-graphiql") { status customer { name } }
}"""


@pytest.fixture(scope="module")
def subgraphs() -> Iterator[LiveSubgraphs]:
    with live_subgraphs() as live:
        yield live


@pytest.fixture(scope="module")
def gateway_url(subgraphs: LiveSubgraphs) -> Iterator[str]:
    app = build_app(subgraphs.supergraph(), ServerSettings(expose_query_plan=True), environ={})
    with serve_in_thread(app) as url:
        yield url


async def test_graphiql_shows_events_of_a_subscription(
    subgraphs: LiveSubgraphs,
    gateway_url: str,
    chromium: str,  # noqa: F811
) -> None:
    async with async_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda e: problems.append(str(e)))
            sockets: list[str] = []
            page.on("websocket", lambda ws: sockets.append(ws.url))
            await page.goto(f"{gateway_url}/graphql")
            editor = page.locator(".graphiql-query-editor .CodeMirror").first
            await editor.wait_for(timeout=15_000)
            await page.evaluate(
                "text => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(text)",
                SUBSCRIPTION,
            )
            console: list[str] = []
            page.on("console", lambda m: console.append(m.text))
            await page.locator(".graphiql-execute-button").click()
            try:
                await wait_until(lambda: subgraphs.board.open_for("o-graphiql") == 1, within=15)
            except AssertionError:
                shown = await page.evaluate(
                    "document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()"
                )
                raise AssertionError(
                    f"no subscription upstream; sockets {sockets}, console {console}: {shown}"
                ) from None
            assert sockets == [gateway_url.replace("http://", "ws://") + "/graphql"]
            await set_status(subgraphs, "o-graphiql", "PENDING")
            response = page.locator(".graphiql-response")
            await response.get_by_text('"PENDING"').wait_for(timeout=10_000)
            await set_status(subgraphs, "o-graphiql", "CONFIRMED")
            await response.get_by_text('"CONFIRMED"').wait_for(timeout=10_000)
            assert '"Ada u1"' in await response.inner_text()
            await page.get_by_label("Show Query plan").click()
            plan = page.get_by_test_id("query-plan")
            await plan.get_by_text("Subscription {").wait_for(timeout=5_000)
            assert 'Fetch(service: "users")' in await plan.inner_text()
            assert not problems, problems
        finally:
            await browser.close()
    await wait_until(lambda: subgraphs.board.open_for("o-graphiql") == 0)
