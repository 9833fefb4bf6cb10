"""GraphiQL in headless Chromium: the page loads from the gateway alone, runs a query, shows its plan."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright import async_api

from gateway.server import Gateway, ServerSettings, create_app

from .live import serve_in_thread
from .support import RecordingPlanner, SchemaExecutor, tiny_supergraph

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def gateway_url() -> Iterator[str]:
    supergraph = tiny_supergraph()
    gateway = Gateway(
        supergraph,
        executor=SchemaExecutor(supergraph),
        planner=RecordingPlanner(),
        settings=ServerSettings(expose_query_plan=True),
    )
    with serve_in_thread(create_app(gateway)) as base:
        yield base


@pytest.fixture(scope="module")
def chromium() -> str:
    path = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if path is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return path


async def test_graphiql_runs_a_query_and_shows_its_plan(gateway_url: str, chromium: str) -> None:
    async with async_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            outside: list[str] = []
            page.on(
                "request",
                lambda r: outside.append(r.url) if not r.url.startswith(gateway_url) else None,
            )
            problems: list[str] = []
            page.on("pageerror", lambda e: problems.append(str(e)))
            await page.goto(f"{gateway_url}/graphql")
            editor = page.locator(".graphiql-query-editor .CodeMirror").first
            await editor.wait_for(timeout=15_000)
            await editor.click()
            await page.keyboard.press("Control+A")
            await page.keyboard.press("Delete")
            await page.keyboard.type("query Greeting { hello }")
            typed = await page.evaluate(
                "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()"
            )
            assert typed.replace("}}", "}") == "query Greeting { hello }"
            await page.locator(".graphiql-execute-button").click()
            response = page.locator(".graphiql-response")
            try:
                await response.get_by_text('"world"').wait_for(timeout=15_000)
            except Exception:
                raise AssertionError(await response.inner_text()) from None
            assert '"hello"' in await response.inner_text()

            await page.get_by_label("Show Query plan").click()
            plan = page.get_by_test_id("query-plan")
            await plan.get_by_text('Fetch(service: "products")').wait_for(timeout=5_000)
            assert "QueryPlan {" in await plan.inner_text()
            assert not outside, f"GraphiQL fetched from elsewhere: {outside}"
            assert not problems, problems
        finally:
            await browser.close()
