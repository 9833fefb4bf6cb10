"""GraphiQL in headless Chromium (Debian's, never a downloaded one) on the running system: signed in through its
headers editor, a customer runs ``orderStatusChanged`` and sees PENDING, then CONFIRMED, arrive live while the
test places the order and its payment goes through."""

from __future__ import annotations

import json

import pytest
from playwright import async_api

from tests.server.test_graphiql_browser import CHROMIUM_ARGS, chromium  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.nats]

WATCH = 'subscription Watch { orderStatusChanged(orderId: "%s") { id status items { product { name } } } }'


async def _set_editor(page: async_api.Page, selector: str, text: str) -> None:
    await page.evaluate(
        """([selector, text]) => { const all = document.querySelectorAll(selector);
                                   all[all.length - 1].CodeMirror.setValue(text); }""",
        [selector, text],
    )


async def test_graphiql_shows_an_orders_status_arrive_live(system, chromium: str) -> None:  # noqa: F811
    product = system.add_product("Browser Tome", stock=20)
    async with async_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda e: problems.append(str(e)))
            sockets: list[str] = []
            page.on("websocket", lambda ws: sockets.append(ws.url))
            await page.goto(system.url)
            await page.locator(".graphiql-query-editor .CodeMirror").first.wait_for(timeout=30_000)
            await page.get_by_role("button", name="Headers").click()
            signed_in = json.dumps({"Authorization": f"Bearer {system.token('User:1')}"})
            await _set_editor(page, ".graphiql-editor-tool .CodeMirror", signed_in)
            response = page.locator(".graphiql-response")
            with system.payments_held():  # the card is authorised once the page watches the order
                order = system.place(product, user="User:1")
                await _set_editor(page, ".graphiql-query-editor .CodeMirror", WATCH % order)
                await page.locator(".graphiql-execute-button").click()
                try:
                    await response.get_by_text('"PENDING"').wait_for(timeout=30_000)
                except Exception:
                    raise AssertionError(f"{await response.inner_text()} {problems} {sockets}") from None
                assert '"Browser Tome"' in await response.inner_text()
            await response.get_by_text('"CONFIRMED"').wait_for(timeout=30_000)
            assert sockets == [system.url.replace("http://", "ws://")]
            assert not problems, problems
            # Leaving the page closes the WebSocket, and with it the subscription upstream.
            await page.close()
        finally:
            await browser.close()
    assert system.open_upstream(expected=0) == 0
