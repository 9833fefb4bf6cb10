"""GraphiQL in headless Chromium against the real system: signed in with a development token pasted into the
headers editor, a customer sees their own orders; without it the same query answers UNAUTHORIZED."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from playwright import async_api

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync"]
QUERY = '{ orders(first: 2, userId: "User:1") { edges { node { id user { id } } } } }'


def chromium() -> str:
    path = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if path is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return path


async def run_in_graphiql(url: str, headers: str | None) -> str:
    async with async_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium(), args=ARGS)
        try:
            page = await browser.new_page()
            await page.goto(url)
            editor = page.locator(".graphiql-query-editor .CodeMirror").first
            await editor.wait_for(timeout=20_000)
            await page.evaluate(
                "q => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(q)",
                QUERY,
            )
            if headers is not None:
                await page.get_by_role("button", name="Headers").click()
                await page.evaluate(
                    """h => { const all = document.querySelectorAll('.graphiql-editor-tool .CodeMirror');
                              all[all.length - 1].CodeMirror.setValue(h); }""",
                    headers,
                )
            await page.locator(".graphiql-execute-button").click()
            response = page.locator(".graphiql-response")
            await response.get_by_text('"orders"').first.wait_for(timeout=20_000)
            return await page.evaluate(
                "document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()"
            )
        finally:
            await browser.close()


async def test_signed_in_graphiql_shows_the_users_own_orders(system) -> None:
    header = json.dumps({"Authorization": f"Bearer {system.token('User:1')}"})
    signed_in = json.loads(await run_in_graphiql(system.url, header))
    assert "errors" not in signed_in, signed_in
    edges = signed_in["data"]["orders"]["edges"]
    assert edges and all(e["node"]["user"]["id"] == "User:1" for e in edges)
    anonymous = json.loads(await run_in_graphiql(system.url, None))
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"
